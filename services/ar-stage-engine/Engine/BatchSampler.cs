using Omni.Common.Torch;
using static TorchSharp.torch;

namespace Omni.ArStage.Engine;

/// <summary>
/// Picks the next token of every sampled row of a batch at once, each row with its own request's parameters, in
/// vLLM's order: repetition, frequency and presence penalties; then greedy rows take the argmax, the others divide by
/// their temperature, apply min_p, top_k and top_p, and draw by inverse transform sampling with one uniform number
/// from the request's own random stream. A seeded request therefore gets the same tokens whatever else is in the
/// batch. Logprobs are those of the raw logits.
/// </summary>
internal static class BatchSampler
{
    public static SampledTokens Sample(Tensor logits, IReadOnlyList<Sequence> rows)
    {
        using var scope = NewDisposeScope();
        var device = logits.device;
        var count = rows.Count;
        var vocab = logits.shape[1];
        var scores = rows.Any(r => r.Request.HasPenalties) ? ApplyPenalties(logits, rows) : logits;
        var chosen = scores.argmax(-1);
        if (rows.Any(r => r.Random is not null))
        {
            var parameters = SamplingColumns.Upload(rows, vocab, device);
            var drawn = Draw(scores, rows, parameters, vocab);
            chosen = where(parameters.Random, drawn, chosen);
        }

        var ids = HostCopies.ToArray<long>(chosen);
        var logprobs = new TokenLogprob?[count];
        if (rows.Any(r => r.Request.Logprobs is not null))
        {
            Logprobs(logits, chosen, rows, ids, logprobs);
        }

        return new SampledTokens(ids.Select(id => (int)id).ToArray(), logprobs);
    }

    // vLLM: repetition penalty over prompt and output tokens, frequency and presence penalties over output tokens.
    // The penalties and every row's tokens travel in one upload (float64 holds the token ids exactly).
    private static Tensor ApplyPenalties(Tensor logits, IReadOnlyList<Sequence> rows)
    {
        var device = logits.device;
        var vocab = logits.shape[1];
        var prompts = rows.Select(r => r.PromptTokens.ToArray()).ToArray();
        var outputs = rows.Select(r => r.Tokens.Skip(r.PromptLength).ToArray()).ToArray();
        var (promptWidth, outputWidth) = (Math.Max(1, prompts.Max(l => l.Length)), Math.Max(1, outputs.Max(l => l.Length)));
        var width = 3 + promptWidth + outputWidth;
        var host = new double[rows.Count * width];
        Array.Fill(host, vocab);
        for (var r = 0; r < rows.Count; r++)
        {
            var row = host.AsSpan(r * width, width);
            (row[0], row[1], row[2]) = (rows[r].Request.RepetitionPenalty, rows[r].Request.FrequencyPenalty, rows[r].Request.PresencePenalty);
            for (var i = 0; i < prompts[r].Length; i++)
            {
                row[3 + i] = prompts[r][i];
            }
            for (var i = 0; i < outputs[r].Length; i++)
            {
                row[3 + promptWidth + i] = outputs[r][i];
            }
        }
        var uploaded = DeviceUploads.Upload(host, [rows.Count, width], device);
        var repetition = uploaded.narrow(1, 0, 1).to(ScalarType.Float32);
        var frequency = uploaded.narrow(1, 1, 1).to(ScalarType.Float32);
        var presence = uploaded.narrow(1, 2, 1).to(ScalarType.Float32);
        var outputCounts = Counts(uploaded.narrow(1, 3 + promptWidth, outputWidth), vocab, device);
        var promptSeen = Counts(uploaded.narrow(1, 3, promptWidth), vocab, device) > 0;
        var outputSeen = outputCounts > 0;
        var seen = promptSeen.logical_or(outputSeen);
        var penalized = where(seen, where(logits > 0, logits / repetition, logits * repetition), logits);
        return penalized - frequency * outputCounts - presence * outputSeen.to(ScalarType.Float32);
    }

    // Per-row token counts [rows, vocab] through one scatter_add; padding (token id vocab) goes to an extra column that is dropped.
    private static Tensor Counts(Tensor tokenIds, long vocab, Device device)
    {
        var index = tokenIds.to(ScalarType.Int64);
        var counts = zeros(index.shape[0], vocab + 1, dtype: ScalarType.Float32, device: device);
        counts.scatter_add_(1, index, ones_like(index, dtype: ScalarType.Float32));
        return counts.narrow(1, 0, vocab);
    }

    private static Tensor Draw(Tensor scores, IReadOnlyList<Sequence> rows, SamplingColumns parameters, long vocab)
    {
        scores = scores / parameters.Temperature;
        if (rows.Any(r => r.Random is not null && r.Request.MinP > 0))
        {
            var probabilities = scores.softmax(-1);
            scores = scores.masked_fill(probabilities < parameters.MinP * probabilities.amax([-1], keepdim: true), float.NegativeInfinity);
        }

        var topK = rows.Any(r => r.Random is not null && r.Request.TopK > 0 && r.Request.TopK < vocab);
        var topP = rows.Any(r => r.Random is not null && r.Request.TopP < 1f);
        if (topK || topP)
        {
            var (sorted, order) = scores.sort(-1, descending: true);
            if (topK)
            {
                var kth = sorted.gather(-1, parameters.TopKIndex);
                sorted = sorted.masked_fill(sorted < kth, float.NegativeInfinity);
            }

            if (topP)
            {
                // Drop a token once the tokens ranked above it already cover top_p; the most likely one always stays.
                var probabilities = sorted.softmax(-1);
                var coveredBefore = probabilities.cumsum(-1) - probabilities;
                sorted = sorted.masked_fill(coveredBefore > parameters.TopP, float.NegativeInfinity);
            }

            scores = scores.scatter(-1, order, sorted);
        }

        // Inverse transform sampling in float64: the first token whose cumulative probability exceeds u * total.
        var cumulative = scores.softmax(-1).to(ScalarType.Float64).cumsum(-1);
        var total = cumulative.narrow(-1, vocab - 1, 1);
        var index = (cumulative <= parameters.Uniform * total).sum(-1);
        // Rounding can put u * total at the very top; the last token with probability left is then the answer.
        var lastLikely = (cumulative < total).sum(-1);
        return minimum(index, lastLikely);
    }

    private static void Logprobs(Tensor logits, Tensor chosen, IReadOnlyList<Sequence> rows, long[] ids, TokenLogprob?[] results)
    {
        var all = logits.log_softmax(-1);
        var chosenLogprobs = HostCopies.ToArray<float>(all.gather(-1, chosen.unsqueeze(-1)).squeeze(-1));
        var topCount = rows.Max(r => r.Request.Logprobs ?? 0);
        float[] topValues = [];
        long[] topIds = [];
        if (topCount > 0)
        {
            var (values, indices) = all.topk(topCount, dim: -1);
            topValues = HostCopies.ToArray<float>(values);
            topIds = HostCopies.ToArray<long>(indices);
        }

        for (var r = 0; r < rows.Count; r++)
        {
            if (rows[r].Request.Logprobs is not { } wanted)
            {
                continue;
            }

            var top = new TopLogprob[wanted];
            for (var i = 0; i < wanted; i++)
            {
                top[i] = new TopLogprob((int)topIds[r * topCount + i], topValues[r * topCount + i]);
            }

            results[r] = new TokenLogprob((int)ids[r], chosenLogprobs[r], top);
        }
    }

    /// <summary>
    /// Every row's sampling parameters as device columns [rows, 1] (<see cref="Random"/>: [rows], whether the row draws),
    /// from one upload: greedy rows take temperature 1 and no filters (their draw is discarded). Each random row draws its uniform number here, once per step.
    /// </summary>
    private sealed record SamplingColumns(Tensor Random, Tensor Temperature, Tensor MinP, Tensor TopKIndex, Tensor TopP, Tensor Uniform)
    {
        private const int Width = 6;

        public static SamplingColumns Upload(IReadOnlyList<Sequence> rows, long vocab, Device device)
        {
            var host = new double[rows.Count * Width];
            for (var r = 0; r < rows.Count; r++)
            {
                var (request, random) = (rows[r].Request, rows[r].Random);
                var row = host.AsSpan(r * Width, Width);
                row[0] = random is null ? 0 : 1;
                row[1] = random is null ? 1f : request.Temperature;
                row[2] = random is null ? 0f : request.MinP;
                row[3] = (random is null || request.TopK <= 0 ? vocab : Math.Min(request.TopK, vocab)) - 1;
                row[4] = random is null ? 1f : request.TopP;
                row[5] = random?.NextDouble() ?? 0.0;
            }
            var uploaded = DeviceUploads.Upload(host, [rows.Count, Width], device);
            Tensor Column(int index, ScalarType type) => uploaded.narrow(1, index, 1).to(type);
            return new SamplingColumns(uploaded.select(1, 0).to(ScalarType.Bool), Column(1, ScalarType.Float32), Column(2, ScalarType.Float32),
                Column(3, ScalarType.Int64), Column(4, ScalarType.Float32), Column(5, ScalarType.Float64));
        }
    }
}
