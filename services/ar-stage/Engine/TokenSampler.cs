using static TorchSharp.torch;

namespace Omni.ArStage.Engine;

/// <summary>
/// Picks the next token from logits [1, vocab]: argmax when temperature is 0, otherwise temperature, top-k and
/// top-p filtering followed by a draw from the request's own generator, so seeded requests are reproducible
/// whatever ran before them.
/// </summary>
internal sealed class TokenSampler : IDisposable
{
    private readonly float _temperature;
    private readonly int _topK;
    private readonly float _topP;
    private readonly Generator? _generator;

    public TokenSampler(GenerationRequest request, Device device)
    {
        _temperature = request.Temperature;
        _topK = request.TopK;
        _topP = request.TopP;
        if (_temperature > 0)
        {
            _generator = new Generator(request.Seed ?? (ulong)Random.Shared.NextInt64(long.MinValue, long.MaxValue), device);
        }
    }

    /// <summary>Returns the chosen token id as a [1, 1] int64 tensor on the logits' device.</summary>
    public Tensor Sample(Tensor logits)
    {
        using var scope = NewDisposeScope();
        if (_generator is null)
        {
            return logits.argmax(-1, keepdim: true).MoveToOuterDisposeScope();
        }

        var scores = logits.to(ScalarType.Float32) / _temperature;
        var vocab = scores.shape[^1];
        if (_topK > 0 && _topK < vocab)
        {
            var (top, _) = scores.topk(_topK, dim: -1);
            var threshold = top.narrow(-1, _topK - 1, 1);
            scores = scores.masked_fill(scores < threshold, float.NegativeInfinity);
        }

        if (_topP < 1f)
        {
            var (sorted, order) = scores.sort(-1, descending: true);
            var probabilities = sorted.softmax(-1);
            // Drop a token once the tokens ranked above it already cover top_p; the most likely one always stays.
            var coveredBefore = probabilities.cumsum(-1) - probabilities;
            sorted = sorted.masked_fill(coveredBefore > _topP, float.NegativeInfinity);
            scores = scores.scatter(-1, order, sorted);
        }

        return multinomial(scores.softmax(-1), 1, replacement: false, generator: _generator).MoveToOuterDisposeScope();
    }

    public void Dispose() => _generator?.Dispose();
}
