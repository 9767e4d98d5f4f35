using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Omni.ArStage.Model;

/// <summary>
/// A linear layer whose output rows have the same bits however many rows share the call, so that a request gets
/// the same logprobs alone and batched. MKL's float32 GEMM is row-invariant from four rows up (with its
/// reproducibility pinned, Omni.Common.Numerics); one to three rows take other kernels (GEMV and small-M paths) that
/// round differently. Fewer rows are therefore padded to four with zeros. CUDA makes no such promise: left as is there.
/// </summary>
internal static class RowInvariantLinear
{
    public const int MinRows = 4;

    public static Tensor Apply(Linear layer, Tensor input) => Apply(input, layer.weight!, layer.bias);

    public static Tensor Apply(Tensor input, Tensor weight, Tensor? bias)
    {
        var rows = input.shape[0];
        if (rows >= MinRows || input.dim() != 2 || input.device_type != DeviceType.CPU)
        {
            return nn.functional.linear(input, weight, bias);
        }
        using var scope = NewDisposeScope();
        var padded = cat([input, zeros(MinRows - rows, input.shape[1], input.dtype, input.device)], 0);
        return nn.functional.linear(padded, weight, bias).narrow(0, 0, rows).MoveToOuterDisposeScope();
    }
}
