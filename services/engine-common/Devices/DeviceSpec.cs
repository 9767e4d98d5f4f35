using System.Globalization;

namespace Omni.Common.Devices;

/// <summary>
/// The device a stage's engine runs on, parsed once for every stage from its <c>--device</c> option: "auto" (CUDA
/// device 0 when CUDA is available, else the CPU), "cpu", "cuda" (device 0) or "cuda:N", case-insensitive. Its
/// <see cref="Name"/> ("cpu", "cuda:N") is what every stage reports.
/// </summary>
public sealed record DeviceSpec
{
    private DeviceSpec(int? cudaIndex) => CudaIndex = cudaIndex;

    public static DeviceSpec Cpu { get; } = new((int?)null);

    /// <summary>The CUDA device's index; null on the CPU.</summary>
    public int? CudaIndex { get; }

    public string Name => CudaIndex is { } index ? string.Create(CultureInfo.InvariantCulture, $"cuda:{index}") : "cpu";

    /// <param name="option">The option's value (null: "auto").</param>
    /// <param name="cudaDevices">CUDA devices the process sees (0 when CUDA is not available).</param>
    public static DeviceSpec Resolve(string? option, int cudaDevices)
    {
        var text = (option ?? "auto").Trim().ToLowerInvariant();
        int index;
        switch (text)
        {
            case "auto":
                return cudaDevices > 0 ? new DeviceSpec(0) : Cpu;
            case "cpu":
                return Cpu;
            case "cuda":
                index = 0;
                break;
            default:
                if (!text.StartsWith("cuda:", StringComparison.Ordinal)
                    || !int.TryParse(text.AsSpan("cuda:".Length), NumberStyles.None, CultureInfo.InvariantCulture, out index))
                {
                    throw new ArgumentException($"Unknown device '{option}': expected \"auto\", \"cpu\", \"cuda\" or \"cuda:N\".", nameof(option));
                }
                break;
        }
        if (cudaDevices == 0)
        {
            throw new ArgumentException($"Device '{option}' was requested but CUDA is not available.", nameof(option));
        }
        if (index >= cudaDevices)
        {
            throw new ArgumentException($"Device '{option}' does not exist: {cudaDevices} CUDA device(s) are available.", nameof(option));
        }
        return new DeviceSpec(index);
    }
}
