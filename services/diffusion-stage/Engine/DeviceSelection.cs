using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace Omni.DiffusionStage.Engine;

/// <summary>Parses the engine's device option.</summary>
internal static class DeviceSelection
{
    /// <summary>"auto", "cpu", "cuda" or "cuda:N" (case-insensitive).</summary>
    public static Device Resolve(string? option)
    {
        var text = option?.Trim().ToLowerInvariant();
        switch (text)
        {
            case "auto":
                return cuda.is_available() ? CUDA : CPU;
            case "cpu":
                return CPU;
            case "cuda":
                RequireCuda(0, option!);
                return CUDA;
        }

        const string prefix = "cuda:";
        if (text is not null
            && text.StartsWith(prefix, StringComparison.Ordinal)
            && int.TryParse(text.AsSpan(prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var index))
        {
            RequireCuda(index, option!);
            return new Device(DeviceType.CUDA, index);
        }

        throw new ArgumentException(
            $"Unknown device '{option}': expected \"auto\", \"cpu\", \"cuda\" or \"cuda:N\".", nameof(option));
    }

    private static void RequireCuda(int index, string option)
    {
        if (!cuda.is_available())
        {
            throw new InvalidOperationException($"Device '{option}' was requested but CUDA is not available.");
        }

        if (index >= cuda.device_count())
        {
            throw new ArgumentException(
                $"Device '{option}' does not exist: {cuda.device_count()} CUDA device(s) are available.", nameof(option));
        }
    }
}
