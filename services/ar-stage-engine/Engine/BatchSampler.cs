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
        var random = rows.Select(r => r.Random is not null).ToArray();
        if (random.Any(r => r))
        {
            var drawn = Draw(scores, rows, vocab, device);
            chosen = where(tensor(random, device: device), drawn, chosen);
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
    private static Tensor ApplyPenalties(Tensor logits, IReadOnlyList<Sequence> rows)
    {
        var device = logits.device;
        var vocab = logits.shape[1];
        var outputCounts = Counts(rows, r => r.Tokens.Skip(r.PromptLength), vocab, device);
        var promptSeen = Counts(rows, r => r.PromptTokens, vocab, device) > 0;
        var outputSeen = outputCounts > 0;
        var repetition = Column(rows.Select(r => r.Request.RepetitionPenalty), device);
        var frequency = Column(rows.Select(r => r.Request.FrequencyPenalty), device);
        var presence = Column(rows.Select(r => r.Request.PresencePenalty), device);
        var seen = promptSeen.logical_or(outputSeen);
        var penalized = where(seen, where(logits > 0, logits / repetition, logits * repetition), logits);
        return penalized - frequency * outputCounts - presence * outputSeen.to(ScalarType.Float32);
    }

    // Per-row token counts [rows, vocab] through one scatter_add; padding goes to an extra column that is dropped.
    private static Tensor Counts(IReadOnlyList<Sequence> rows, Func<Sequence, IEnumerable<int>> tokens, long vocab, Device device)
    {
        var lists = rows.Select(r => tokens(r).ToArray()).ToArray();
        var width = Math.Max(1, lists.Max(l => l.Length));
        var indices = new long[rows.Count * width];
        Array.Fill(indices, vocab);
        for (var r = 0; r < lists.Length; r++)
        {
            for (var i = 0; i < lists[r].Length; i++)
            {
                indices[r * width + i] = lists[r][i];
            }
        }

        var index = tensor(indices, [rows.Count, width], device: device);
        var counts = zeros(rows.Count, vocab + 1, dtype: ScalarType.Float32, device: device);
        counts.scatter_add_(1, index, ones_like(index, dtype: ScalarType.Float32));
        return counts.narrow(1, 0, vocab);
    }

    private static Tensor Draw(Tensor scores, IReadOnlyList<Sequence> rows, long vocab, Device device)
    {
        var temperature = Column(rows.Select(r => r.Random is null ? 1f : r.Request.Temperature), device);
        scores = scores / temperature;
        if (rows.Any(r => r.Random is not null && r.Request.MinP > 0))
        {
            var probabilities = scores.softmax(-1);
            var minP = Column(rows.Select(r => r.Random is null ? 0f : r.Request.MinP), device);
            scores = scores.masked_fill(probabilities < minP * probabilities.amax([-1], keepdim: true), float.NegativeInfinity);
        }

        var topK = rows.Select(r => r.Random is null || r.Request.TopK <= 0 ? vocab : Math.Min(r.Request.TopK, vocab)).ToArray();
        var topP = rows.Select(r => r.Random is null ? 1f : r.Request.TopP).ToArray();
        if (topK.Any(k => k < vocab) || topP.Any(p => p < 1f))
        {
            var (sorted, order) = scores.sort(-1, descending: true);
            if (topK.Any(k => k < vocab))
            {
                var kth = sorted.gather(-1, tensor(topK.Select(k => k - 1).ToArray(), [rows.Count, 1], device: device));
                sorted = sorted.masked_fill(sorted < kth, float.NegativeInfinity);
            }

            if (topP.Any(p => p < 1f))
            {
                // Drop a token once the tokens ranked above it already cover top_p; the most likely one always stays.
                var probabilities = sorted.softmax(-1);
                var coveredBefore = probabilities.cumsum(-1) - probabilities;
                sorted = sorted.masked_fill(coveredBefore > Column(topP, device), float.NegativeInfinity);
            }

            scores = scores.scatter(-1, order, sorted);
        }

        // Inverse transform sampling in float64: the first token whose cumulative probability exceeds u * total.
        var cumulative = scores.softmax(-1).to(ScalarType.Float64).cumsum(-1);
        var total = cumulative.narrow(-1, vocab - 1, 1);
        var uniform = tensor(rows.Select(r => r.Random?.NextDouble() ?? 0.0).ToArray(), [rows.Count, 1], device: device);
        var index = (cumulative <= uniform * total).sum(-1);
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

    private static Tensor Column(IEnumerable<float> values, Device device)
    {
        var array = values.ToArray();
        return tensor(array, [array.Length, 1], device: device);
    }
}
