using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Omni.DiffusionStage.Model;

/// <summary>Multi-head attention from the image tokens (queries) to the projected conditioning tokens (keys/values).</summary>
public sealed class CrossAttention : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Linear q;
    private readonly Linear kv;
    private readonly Linear proj;
    private readonly int numHeads;

    public CrossAttention(int hiddenSize, int numHeads) : base(nameof(CrossAttention))
    {
        this.numHeads = numHeads;
        q = nn.Linear(hiddenSize, hiddenSize);
        kv = nn.Linear(hiddenSize, 2 * hiddenSize);
        proj = nn.Linear(hiddenSize, hiddenSize);
        RegisterComponents();
    }

    /// <param name="x">[batch, tokens, hidden].</param>
    /// <param name="context">[batch, context tokens, hidden].</param>
    public override Tensor forward(Tensor x, Tensor context)
    {
        using var scope = NewDisposeScope();
        var (batch, tokens, hidden) = (x.shape[0], x.shape[1], x.shape[2]);
        var headDim = hidden / numHeads;
        var queries = q.forward(x).view(batch, tokens, numHeads, headDim).transpose(1, 2);
        var keyValues = kv.forward(context).view(batch, context.shape[1], 2, numHeads, headDim).permute(2, 0, 3, 1, 4);
        var attended = nn.functional.scaled_dot_product_attention(queries, keyValues[0], keyValues[1]);
        var merged = attended.transpose(1, 2).reshape(batch, tokens, hidden);
        return scope.MoveToOuter(proj.forward(merged));
    }
}
