using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Omni.DiffusionStage.Model;

/// <summary>Multi-head self-attention over the image tokens with a fused qkv projection.</summary>
public sealed class SelfAttention : nn.Module<Tensor, Tensor>
{
    private readonly Linear qkv;
    private readonly Linear proj;
    private readonly int numHeads;

    public SelfAttention(int hiddenSize, int numHeads) : base(nameof(SelfAttention))
    {
        this.numHeads = numHeads;
        qkv = nn.Linear(hiddenSize, 3 * hiddenSize);
        proj = nn.Linear(hiddenSize, hiddenSize);
        RegisterComponents();
    }

    /// <param name="x">[batch, tokens, hidden].</param>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var (batch, tokens, hidden) = (x.shape[0], x.shape[1], x.shape[2]);
        var heads = qkv.forward(x).view(batch, tokens, 3, numHeads, hidden / numHeads).permute(2, 0, 3, 1, 4);
        var attended = nn.functional.scaled_dot_product_attention(heads[0], heads[1], heads[2]);
        var merged = attended.transpose(1, 2).reshape(batch, tokens, hidden);
        return scope.MoveToOuter(proj.forward(merged));
    }
}
