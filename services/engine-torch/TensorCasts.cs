using static TorchSharp.torch;

namespace Omni.Common.Torch;

/// <summary>Casts that cost nothing when there is nothing to cast.</summary>
public static class TensorCasts
{
    /// <summary>
    /// <paramref name="tensor"/> in <paramref name="dtype"/>: the tensor itself when it already has it (a cast to its own
    /// dtype would still be an operator call, a new tensor aliasing it, on an engine step's hot path).
    /// </summary>
    public static Tensor InDType(this Tensor tensor, ScalarType dtype) => tensor.dtype == dtype ? tensor : tensor.to(dtype);
}
