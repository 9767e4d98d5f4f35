using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Omni.DiffusionStage.Model;

/// <summary>
/// Multi-head attention from the image tokens (queries) to the projected conditioning tokens (keys/values).
/// The keys and values depend only on the conditioning, so they are computed once per request
/// (<see cref="KeyValues"/>) and reused at every step; a batch passes them as consecutive row groups, each group
/// with its own token count.
/// </summary>
public sealed class CrossAttention : nn.Module
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

    /// <param name="context">[rows, context tokens, hidden] projected conditioning.</param>
    /// <returns>[rows, context tokens, 2 * hidden]: keys then values.</returns>
    public Tensor KeyValues(Tensor context) => kv.forward(context);

    /// <param name="x">[batch, tokens, hidden].</param>
    /// <param name="keyValues">
    /// Consecutive row groups from <see cref="KeyValues"/>, [rows_i, tokens_i, 2 * hidden]; the rows add up to batch.
    /// </param>
    public Tensor forward(Tensor x, IReadOnlyList<Tensor> keyValues)
    {
        ArgumentOutOfRangeException.ThrowIfZero(keyValues.Count);
        using var scope = NewDisposeScope();
        var (batch, tokens, hidden) = (x.shape[0], x.shape[1], x.shape[2]);
        var queries = q.forward(x).view(batch, tokens, numHeads, hidden / numHeads).transpose(1, 2);
        Tensor attended;
        if (keyValues.Count == 1)
        {
            RequireRows(keyValues[0].shape[0], batch);
            attended = Attend(queries, keyValues[0]);
        }
        else
        {
            var groups = new Tensor[keyValues.Count];
            var start = 0L;
            for (var i = 0; i < keyValues.Count; i++)
            {
                var rows = keyValues[i].shape[0];
                groups[i] = Attend(queries.narrow(0, start, rows), keyValues[i]);
                start += rows;
            }

            RequireRows(start, batch);
            attended = cat(groups, dim: 0);
        }

        var merged = attended.transpose(1, 2).reshape(batch, tokens, hidden);
        return scope.MoveToOuter(proj.forward(merged));
    }

    /// <summary>Convenience for one context covering every row: <see cref="KeyValues"/>, then attention.</summary>
    public Tensor forward(Tensor x, Tensor context)
    {
        using var scope = NewDisposeScope();
        return scope.MoveToOuter(forward(x, [KeyValues(context)]));
    }

    private Tensor Attend(Tensor queries, Tensor keyValues)
    {
        using var scope = NewDisposeScope();
        var (rows, contextTokens) = (keyValues.shape[0], keyValues.shape[1]);
        var headDim = queries.shape[3];
        var split = keyValues.view(rows, contextTokens, 2, numHeads, headDim).permute(2, 0, 3, 1, 4);
        return scope.MoveToOuter(nn.functional.scaled_dot_product_attention(queries, split[0], split[1]));
    }

    private static void RequireRows(long keyValueRows, long batch)
    {
        if (keyValueRows != batch)
        {
            throw new ArgumentException($"The cross-attention keys and values cover {keyValueRows} rows, the batch has {batch}.");
        }
    }
}
