using Omni.Common.Payloads;

namespace Omni.Common.Validation;

/// <summary>What a stage requires of a received tensor, each failure INVALID_ARGUMENT naming the tensor and the problem.</summary>
public static class TensorRequirements
{
    /// <summary>
    /// A float32 [rows, width] tensor with at least one row, of the width the consuming model takes
    /// (<paramref name="widthOwner"/> names it, e.g. "the diffusion model's conditioning width"), every value finite.
    /// </summary>
    public static ReceivedTensor RequireFloat32Rows(ReceivedTensor tensor, int width, string widthOwner)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensor.Float32 is null || tensor.Shape.Length != 2 || tensor.Shape[0] < 1)
        {
            throw RequestValidator.Invalid("chunk", $"tensor '{tensor.Name}' must be float32 [rows, width], got {tensor.Dtype} [{string.Join(", ", tensor.Shape)}]");
        }
        if (tensor.Shape[1] != width)
        {
            throw RequestValidator.Invalid("chunk", $"tensor '{tensor.Name}' has width {tensor.Shape[1]}, but {widthOwner} is {width}");
        }
        var nonFinite = Array.FindIndex(tensor.Float32, value => !float.IsFinite(value));
        if (nonFinite >= 0)
        {
            throw RequestValidator.Invalid("chunk", $"tensor '{tensor.Name}' has a non-finite value ({tensor.Float32[nonFinite]}) at element {nonFinite}");
        }
        return tensor;
    }
}
