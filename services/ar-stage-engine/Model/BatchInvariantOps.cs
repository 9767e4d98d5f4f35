using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Omni.ArStage.Model;

/// <summary>
/// Operations whose output rows have the same bits however many rows share the call, so that a request gets the same
/// logprobs alone and batched (on CPU; CUDA makes no such promise and takes the plain operations, as does a stage run
/// with <c>--batch-invariant false</c>, which trades the promise for batch-1 speed).
/// <list type="bullet">
/// <item>MKL's float32 GEMM gives a row the same bits in two calls of the same shape (with its reproducibility pinned,
/// Omni.Common.Numerics), but not in calls with different row counts: one to three rows take GEMV and small-M
/// kernels, and on AVX-512 Xeons (not on the AMD EPYCs first measured) the blocking over rows, and over threads,
/// changes the rounding from 8 to 64 rows as well. <see cref="Linear(Tensor, Tensor, Tensor?, bool)"/> therefore
/// computes every product in calls of <see cref="RowsPerCall"/> rows (the last padded with zero rows): a row's bits
/// cannot depend on how many rows share the step. 16 rather than 4: the vocabulary projection's GEMM packs its 51 MB
/// weight again on every call, and on the Xeon a 16-row call costs 1.4x a 4-row one, so a 32-row step makes two calls
/// instead of eight (BENCHMARKS.md).</item>
/// <item>libtorch's pointwise kernels compute blocks of vector width with SLEEF and the tail of the flattened tensor
/// (and of each thread's share) with the scalar libm function, which rounds transcendental functions differently: an
/// element's bits would depend on how many elements the tensor has. Pointwise operations therefore run on padded
/// tensors whose size is a multiple of every vector block, in serial pieces below libtorch's parallel grain.</item>
/// </list>
/// </summary>
internal static class BatchInvariantOps
{
    public const int MinLinearRows = 4;

    /// <summary>The one row count of every product's GEMM calls (see the class remarks).</summary>
    public const int RowsPerCall = 16;

    // A multiple of every vector block libtorch uses for float32 (2 x 16 lanes with AVX-512).
    private const int PointwiseAlignment = 64;

    // libtorch's parallel grain (at::internal::GRAIN_SIZE): a piece this size runs in one thread.
    private const int PointwisePiece = 32768;

    public static Tensor Linear(Linear layer, Tensor input, bool enabled) => Linear(input, layer.weight!, layer.bias, enabled);

    public static Tensor Linear(Tensor input, Tensor weight, Tensor? bias, bool enabled)
    {
        var rows = input.shape[0];
        if (!enabled || rows == RowsPerCall || input.dim() != 2 || input.device_type != DeviceType.CPU)
        {
            return nn.functional.linear(input, weight, bias);
        }
        using var scope = NewDisposeScope();
        var padded = (rows + RowsPerCall - 1) / RowsPerCall * RowsPerCall;
        var blocks = padded == rows ? input : cat([input, zeros(padded - rows, input.shape[1], input.dtype, input.device)], 0);
        var products = new List<Tensor>();
        for (long start = 0; start < padded; start += RowsPerCall)
        {
            products.Add(nn.functional.linear(blocks.narrow(0, start, RowsPerCall), weight, bias));
        }
        var product = products.Count == 1 ? products[0] : cat(products, 0);
        return (padded == rows ? product : product.narrow(0, 0, rows)).MoveToOuterDisposeScope();
    }

    /// <summary><paramref name="operation"/>, a pointwise function, applied so that each element's bits depend only on its value.</summary>
    public static Tensor Pointwise(Tensor input, Func<Tensor, Tensor> operation, bool enabled)
    {
        var count = input.numel();
        if (!enabled || input.device_type != DeviceType.CPU || (count % PointwiseAlignment == 0 && count <= PointwisePiece))
        {
            return operation(input);
        }
        using var scope = NewDisposeScope();
        var padded = (count + PointwiseAlignment - 1) / PointwiseAlignment * PointwiseAlignment;
        var flat = input.reshape(-1);
        if (padded != count)
        {
            flat = cat([flat, zeros(padded - count, input.dtype, input.device)], 0);
        }
        var pieces = new List<Tensor>();
        for (long start = 0; start < padded; start += PointwisePiece)
        {
            pieces.Add(operation(flat.narrow(0, start, Math.Min(PointwisePiece, padded - start))));
        }
        var result = pieces.Count == 1 ? pieces[0] : cat(pieces, 0);
        return result.narrow(0, 0, count).view(input.shape).MoveToOuterDisposeScope();
    }
}
