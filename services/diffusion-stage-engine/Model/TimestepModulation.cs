using static TorchSharp.torch;

namespace Omni.DiffusionStage.Model;

/// <summary>
/// Everything the denoiser derives from the timesteps alone: each block's adaLN modulation [rows, 6 * hidden] and
/// the final layer's [rows, 2 * hidden]. Owned by the dispose scope it was created in.
/// </summary>
public sealed record TimestepModulation(IReadOnlyList<Tensor> Blocks, Tensor Final)
{
    public long Rows => Final.shape[0];

    /// <summary>
    /// Row <c>i</c> of the result is row 0 of <c>sources[rowSource[i]]</c> (<paramref name="rowSource"/>: int64 [rows],
    /// on the sources' device): per-row modulations computed one timestep at a time, laid out for a batch (a copy, so
    /// the values are bit-identical to the sources).
    /// </summary>
    public static TimestepModulation Gather(IReadOnlyList<TimestepModulation> sources, Tensor rowSource)
    {
        ArgumentOutOfRangeException.ThrowIfZero(sources.Count);
        using var scope = NewDisposeScope();
        Tensor Pick(Func<TimestepModulation, Tensor> select) =>
            cat(sources.Select(source => select(source).narrow(0, 0, 1)).ToList(), dim: 0).index_select(0, rowSource);

        var blocks = Enumerable.Range(0, sources[0].Blocks.Count).Select(block => Pick(source => source.Blocks[block])).ToArray();
        var final = Pick(source => source.Final);
        scope.MoveToOuter(blocks);
        scope.MoveToOuter(final);
        return new TimestepModulation(blocks, final);
    }
}
