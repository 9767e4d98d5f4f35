using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Omni.ArStage.Model;

/// <summary>The decoder stack under the <c>model.</c> prefix: embeddings, layers and the final norm.</summary>
public sealed class DecoderModel : nn.Module<Tensor, KvCache?, Tensor>
{
    // Field names are the checkpoint key suffixes ("model.embed_tokens.weight", "model.layers.{i}...", "model.norm.weight").
    private readonly Embedding embed_tokens;
    private readonly ModuleList<DecoderLayer> layers;
    private readonly RmsNorm norm;

    private readonly TransformerConfig _config;
    private RotaryEmbedding? _rotary;

    public DecoderModel(TransformerConfig config) : base(nameof(DecoderModel))
    {
        _config = config;
        embed_tokens = nn.Embedding(config.VocabSize, config.HiddenSize);
        layers = nn.ModuleList(Enumerable.Range(0, config.NumHiddenLayers).Select(i => new DecoderLayer(config, i)).ToArray());
        norm = new RmsNorm(config.HiddenSize, config.RmsNormEps);
        RegisterComponents();
    }

    public Parameter EmbeddingWeight => embed_tokens.weight!;

    /// <summary>
    /// Runs token ids [batch, tokens] through the stack and returns the final-norm hidden states [batch, tokens, hidden].
    /// With a cache (batch 1), the tokens take the positions after the cached ones and are appended to it;
    /// without one, they are a whole sequence starting at position 0.
    /// </summary>
    public override Tensor forward(Tensor inputIds, KvCache? cache)
    {
        using var scope = NewDisposeScope();
        var tokens = (int)inputIds.shape[1];
        var (cos, sin) = Rotary(inputIds.device).Angles(cache?.Length ?? 0, tokens);
        var inputs = new AttentionInputs(cos, sin, cache);
        var hidden = embed_tokens.call(inputIds);
        foreach (var layer in layers)
        {
            hidden = layer.call(hidden, inputs);
        }

        cache?.Advance(tokens);
        return norm.call(hidden).MoveToOuterDisposeScope();
    }

    private RotaryEmbedding Rotary(Device device)
    {
        if (_rotary is null || !_rotary.IsOn(device))
        {
            _rotary?.Dispose();
            _rotary = new RotaryEmbedding(_config.HeadDim, _config.RopeTheta, device);
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
