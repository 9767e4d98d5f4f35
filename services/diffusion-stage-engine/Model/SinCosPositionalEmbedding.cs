using static TorchSharp.torch;

namespace Omni.DiffusionStage.Model;

/// <summary>Fixed 2D sin-cos positional embedding (MAE / DiT layout): first half encodes the column, second half the row.</summary>
public static class SinCosPositionalEmbedding
{
    /// <returns>[gridHeight * gridWidth, dim] float32, row-major over the grid.</returns>
    public static Tensor Create(int dim, long gridHeight, long gridWidth, Device device)
    {
        if (dim % 4 != 0)
        {
            throw new ArgumentException($"The embedding width {dim} is not divisible by 4.", nameof(dim));
        }

        using var scope = NewDisposeScope();
        var quarter = dim / 4;
        var omega = arange(quarter, dtype: float64, device: device).mul(-Math.Log(10000.0) / quarter).exp();
        var columns = OneAxis(arange(gridWidth, dtype: float64, device: device), omega);
        var rows = OneAxis(arange(gridHeight, dtype: float64, device: device), omega);
        var grid = cat(
            [
                columns.unsqueeze(0).expand(gridHeight, gridWidth, 2 * quarter),
                rows.unsqueeze(1).expand(gridHeight, gridWidth, 2 * quarter),
            ],
            dim: 2);
        return scope.MoveToOuter(grid.reshape(gridHeight * gridWidth, dim).to(float32));
    }

    /// <summary>
    /// The video DiT's positions (issue 17): each token's 2D embedding of its (row, column) plus a 1D sin-cos embedding
    /// of its time index, over the full width, as Latte adds its temporal embedding to the spatial one.
    /// </summary>
    /// <returns>[gridT * gridHeight * gridWidth, dim] float32, ordered by time, then row, then column.</returns>
    public static Tensor Create3D(int dim, long gridT, long gridHeight, long gridWidth, Device device)
    {
        using var scope = NewDisposeScope();
        var spatial = Create(dim, gridHeight, gridWidth, device);
        var half = dim / 2;
        var omega = arange(half, dtype: float64, device: device).mul(-Math.Log(10000.0) / half).exp();
        var temporal = OneAxis(arange(gridT, dtype: float64, device: device), omega).to(float32);
        var positions = temporal.unsqueeze(1).add(spatial.unsqueeze(0));
        return scope.MoveToOuter(positions.reshape(gridT * gridHeight * gridWidth, dim));
    }

    private static Tensor OneAxis(Tensor positions, Tensor omega)
    {
        using var scope = NewDisposeScope();
        var args = positions.outer(omega);
        return scope.MoveToOuter(cat([args.sin(), args.cos()], dim: 1));
    }
}
