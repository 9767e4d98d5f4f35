using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Omni.DiffusionStage.Model;

/// <summary>
/// A DiT block: adaLN-Zero modulated self-attention and MLP (shift/scale/gate from the timestep embedding),
/// with an unmodulated pre-norm cross-attention to the conditioning in between (as PixArt).
/// </summary>
public sealed class DiTBlock : nn.Module
{
    private readonly SelfAttention attn;
    private readonly LayerNorm norm2;
    private readonly CrossAttention cross_attn;
    private readonly FeedForward mlp;
    private readonly Linear modulation;

    public DiTBlock(int hiddenSize, int numHeads, int mlpHiddenSize) : base(nameof(DiTBlock))
    {
        attn = new SelfAttention(hiddenSize, numHeads);
        norm2 = nn.LayerNorm(hiddenSize, eps: AdaLayerNorm.Epsilon);
        cross_attn = new CrossAttention(hiddenSize, numHeads);
        mlp = new FeedForward(hiddenSize, mlpHiddenSize);
        modulation = nn.Linear(hiddenSize, 6 * hiddenSize);
        RegisterComponents();
    }

    /// <param name="timestepEmbedding">[rows, hidden].</param>
    /// <returns>[rows, 6 * hidden]: shift, scale, gate of the attention, then of the MLP.</returns>
    public Tensor Modulation(Tensor timestepEmbedding)
    {
        using var scope = NewDisposeScope();
        return scope.MoveToOuter(modulation.forward(nn.functional.silu(timestepEmbedding)));
    }

    /// <inheritdoc cref="CrossAttention.KeyValues"/>
    public Tensor CrossAttentionKeyValues(Tensor context) => cross_attn.KeyValues(context);

    /// <param name="x">[batch, tokens, hidden] image tokens.</param>
    /// <param name="modulation">[batch, 6 * hidden] from <see cref="Modulation"/>.</param>
    /// <param name="keyValues">The cross-attention keys and values as consecutive row groups (see <see cref="CrossAttention"/>).</param>
    public Tensor forward(Tensor x, Tensor modulation, IReadOnlyList<Tensor> keyValues)
    {
        using var scope = NewDisposeScope();
        var chunks = modulation.chunk(6, dim: 1);
        var (shiftMsa, scaleMsa, gateMsa) = (chunks[0], chunks[1], chunks[2]);
        var (shiftMlp, scaleMlp, gateMlp) = (chunks[3], chunks[4], chunks[5]);

        var h = x.add(gateMsa.unsqueeze(1).mul(attn.forward(AdaLayerNorm.NormalizeAndModulate(x, shiftMsa, scaleMsa))));
        h = h.add(cross_attn.forward(norm2.forward(h), keyValues));
        h = h.add(gateMlp.unsqueeze(1).mul(mlp.forward(AdaLayerNorm.NormalizeAndModulate(h, shiftMlp, scaleMlp))));
        return scope.MoveToOuter(h);
    }
}
