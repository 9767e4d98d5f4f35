using Omni.ArStage.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Omni.ArStage.Tests.Support;

/// <summary>Small configurations and seeded models for tests.</summary>
internal static class TestModels
{
    public static TransformerConfig SmallQwen2(int vocabSize = 300) => new()
    {
        ModelType = TransformerConfig.Qwen2,
        HiddenSize = 64,
        IntermediateSize = 96,
        NumHiddenLayers = 2,
        NumAttentionHeads = 4,
        NumKeyValueHeads = 2,
        HeadDim = 16,
        VocabSize = vocabSize,
        MaxPositionEmbeddings = 256,
        RmsNormEps = 1e-6,
        RopeTheta = 10000,
        TieWordEmbeddings = true,
        QkvBias = true,
        EosTokenIds = [vocabSize - 1],
    };

    /// <summary>
    /// Fills every parameter from a seeded generator: norm weights around 1, biases and projections with
    /// <paramref name="std"/>, embeddings with unit variance (so activations and logits are far from zero).
    /// </summary>
    public static CausalLanguageModel CreateSeeded(TransformerConfig config, long seed, double std = 0.15)
    {
        var model = new CausalLanguageModel(config);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var generator = new Generator((ulong)seed);
        foreach (var (name, parameter) in model.named_parameters())
        {
            var noise = randn(parameter.shape, generator: generator);
            var values = name.EndsWith("norm.weight", StringComparison.Ordinal) ? 1 + 0.1 * noise
                : name.EndsWith("embed_tokens.weight", StringComparison.Ordinal) ? noise
                : std * noise;
            parameter.copy_(values);
            parameter.requires_grad = false;
        }

        model.eval();
        return model;
    }

    /// <summary>Logits [tokens, vocab] of one forward pass over all of <paramref name="ids"/> (a single prefill).</summary>
    public static float[,] FullForwardLogits(CausalLanguageModel model, IReadOnlyList<int> ids) =>
        CachedLogits(model, ids, prefill: ids.Count);

    /// <summary>
    /// Logits [tokens, vocab] computed through the paged KV cache: the first <paramref name="prefill"/> ids at once,
    /// then the rest in chunks of <paramref name="chunk"/> tokens, each chunk a forward pass of its own.
    /// </summary>
    public static float[,] CachedLogits(CausalLanguageModel model, IReadOnlyList<int> ids, int prefill, int chunk = 1, int blockSize = 4)
    {
        using var scope = NewDisposeScope();
        using var inference = inference_mode();
        var blocks = (ids.Count + blockSize - 1) / blockSize;
        using var pool = new KvBlockPool(model.Config, blocks + 3, blockSize, model.DType, CPU);
        // A block table that is not simply 0, 1, 2, ...: pages are really looked up.
        var table = Enumerable.Range(0, blocks).Select(b => blocks + 2 - b).ToArray();
        var parts = new List<Tensor>();
        for (var start = 0; start < ids.Count;)
        {
            var count = start == 0 ? prefill : Math.Min(chunk, ids.Count - start);
            var batch = ForwardBatch.Create([new ScheduledChunk(ids, start, count, table)], blockSize, CPU);
            parts.Add(model.Logits(model.call(batch, pool)));
            start += count;
        }

        return ToMatrix(cat(parts, 0));
    }

    /// <summary>Logits row <paramref name="actual"/> equals (within 1e-4) the model's logits at <paramref name="position"/> of the sequence forwarded alone.</summary>
    public static void AssertRowMatchesAlone(CausalLanguageModel model, int[] ids, int position, Tensor actual)
    {
        var alone = FullForwardLogits(model, ids.Take(position + 1).ToArray());
        var values = actual.data<float>().ToArray();
        var difference = values.Select((v, i) => Math.Abs(v - alone[position, i])).Max();
        Assert.True(difference < 1e-4, $"position {position}: max |difference| {difference}");
    }

    public static double MaxAbsDifference(float[,] a, float[,] b)
    {
        Assert.Equal(a.GetLength(0), b.GetLength(0));
        Assert.Equal(a.GetLength(1), b.GetLength(1));
        var max = 0.0;
        for (var i = 0; i < a.GetLength(0); i++)
        {
            for (var j = 0; j < a.GetLength(1); j++)
            {
                max = Math.Max(max, Math.Abs((double)a[i, j] - b[i, j]));
            }
        }

        return max;
    }

    public static float[,] ToMatrix(Tensor logits)
    {
        var rows = (int)logits.shape[0];
        var columns = (int)logits.shape[1];
        var flat = logits.contiguous().data<float>().ToArray();
        var matrix = new float[rows, columns];
        Buffer.BlockCopy(flat, 0, matrix, 0, flat.Length * sizeof(float));
        return matrix;
    }
}
