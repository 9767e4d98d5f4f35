using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace Omni.ArStage.Engine;

/// <summary>Turns the Device option ("auto", "cpu", "cuda", "cuda:N") into a torch device and its canonical name.</summary>
public static class DeviceResolver
{
    public static (Device Device, string Name) Resolve(string? spec)
    {
        var normalized = (spec ?? "auto").Trim().ToLowerInvariant();
        if (normalized == "auto")
        {
            normalized = cuda.is_available() ? "cuda:0" : "cpu";
        }

        if (normalized == "cpu")
        {
            return (CPU, "cpu");
        }

        int index;
        if (normalized == "cuda")
        {
            index = 0;
        }
        else if (!normalized.StartsWith("cuda:", StringComparison.Ordinal)
                 || !int.TryParse(normalized.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out index))
        {
            throw new ArgumentException($"Unknown device '{spec}'; expected \"auto\", \"cpu\", \"cuda\" or \"cuda:N\".", nameof(spec));
        }

        if (!cuda.is_available())
        {
            throw new ArgumentException($"Device '{spec}' was requested but CUDA is not available.", nameof(spec));
        }

        var count = cuda.device_count();
        if (index >= count)
        {
            throw new ArgumentException($"Device '{spec}' was requested but only {count} CUDA device(s) exist.", nameof(spec));
        }

        return (new Device(DeviceType.CUDA, index), $"cuda:{index}");
    }
}
