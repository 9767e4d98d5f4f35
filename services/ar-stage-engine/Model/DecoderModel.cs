using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Omni.ArStage.Model;

/// <summary>The decoder stack under the <c>model.</c> prefix: embeddings, layers and the final norm.</summary>
public sealed class DecoderModel : nn.Module<ForwardBatch, KvBlockPool, Tensor>
{
    // Field names are the checkpoint key suffixes ("model.embed_tokens.weight", "model.layers.{i}...", "model.norm.weight").
    private readonly Embedding embed_tokens;
    private readonly ModuleList<DecoderLayer> layers;
    private readonly RmsNorm norm;
    private readonly Linear? prompt_projection;

    private readonly TransformerConfig _config;
    private RotaryEmbedding? _rotary;

    public DecoderModel(TransformerConfig config) : base(nameof(DecoderModel))
    {
        _config = config;
        embed_tokens = nn.Embedding(config.VocabSize, config.HiddenSize);
        layers = nn.ModuleList(Enumerable.Range(0, config.NumHiddenLayers).Select(i => new DecoderLayer(config, i)).ToArray());
        norm = new RmsNorm(config.HiddenSize, config.RmsNormEps);
        prompt_projection = config.PromptEmbeddingSize is { } width ? nn.Linear(width, config.HiddenSize, hasBias: true) : null;
        RegisterComponents();
    }

    public Parameter EmbeddingWeight => embed_tokens.weight!;

    /// <summary>See <see cref="SelfAttention.FuseProjections"/>.</summary>
    public void FuseProjections()
    {
        foreach (var layer in layers)
        {
            layer.FuseProjections();
        }
    }

    /// <summary>
    /// Runs the rows of <paramref name="batch"/> through the stack and returns the final-norm hidden states
    /// [rows, hidden]. Every row's keys/values are stored in <paramref name="pool"/> at its slot; earlier positions
    /// of each sequence are read from there.
    /// </summary>
    public override Tensor forward(ForwardBatch batch, KvBlockPool pool)
    {
        using var scope = NewDisposeScope();
        var hidden = embed_tokens.call(batch.InputIds);
        var angles = Rotary(batch.InputIds.device).Angles(batch.Positions, hidden.dtype, batch.BatchInvariant);
        var inputs = AttentionInputs.Create(angles, batch, _config.NumAttentionHeads / _config.NumKeyValueHeads, pool);
        if (batch.EmbeddingRows is { } rows)
        {
            var values = batch.EmbeddingValues!.to(hidden.dtype);
            hidden = hidden.index_copy(0, rows, prompt_projection is null ? values : BatchInvariantOps.Linear(prompt_projection, values, batch.BatchInvariant));
        }
        foreach (var layer in layers)
        {
            hidden = layer.call(hidden, inputs);
        }

        var normalized = norm.call(hidden, batch.BatchInvariant);
        return (batch.PaddedRows == batch.Rows ? normalized : normalized.narrow(0, 0, batch.Rows)).MoveToOuterDisposeScope();
    }

    private RotaryEmbedding Rotary(Device device)
    {
        if (_rotary is null || !_rotary.IsOn(device))
        {
            _rotary?.Dispose();
            _rotary = new RotaryEmbedding(_config.HeadDim, _config.RopeTheta, _config.RopeScaling, device, _config.MaxPositionEmbeddings);
        }

        return _rotary;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _rotary?.Dispose();
        }

        base.Dispose(disposing);
    }
}
