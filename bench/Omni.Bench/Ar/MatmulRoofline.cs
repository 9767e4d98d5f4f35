using System.Diagnostics;
using static Omni.Bench.Measuring.Statistics;
using static TorchSharp.torch;

namespace Omni.Bench.Ar;

/// <summary>A device's matrix-multiply throughput through libtorch: the ceiling a forward pass can reach.</summary>
internal static class MatmulRoofline
{
    /// <summary>Median GFLOP/s of [n, n] x [n, n] float32 products on the CPU.</summary>
    public static double MeasureGflops(int n = 1024, int repeats = 7) => MeasureGflops(CPU, ScalarType.Float32, n, repeats);

    /// <summary>Median GFLOP/s of [n, n] x [n, n] products of <paramref name="dtype"/> on <paramref name="device"/>.</summary>
    public static double MeasureGflops(Device device, ScalarType dtype, int n, int repeats)
    {
        using var scope = NewDisposeScope();
        using var inference = inference_mode();
        var a = randn(n, n, dtype: dtype, device: device);
        var b = randn(n, n, dtype: dtype, device: device);
        a.mm(b);
        Synchronize(device);
        var rates = new List<double>();
        for (var i = 0; i < repeats; i++)
        {
            var started = Stopwatch.GetTimestamp();
            using (a.mm(b))
            {
                Synchronize(device);
            }

            rates.Add(2.0 * n * n * n / Stopwatch.GetElapsedTime(started).TotalSeconds / 1e9);
        }

        return Median(rates);
    }

    /// <summary>Waits for the device's queued kernels (CUDA runs them asynchronously; the CPU has none queued).</summary>
    public static void Synchronize(Device device)
    {
        if (device.type == TorchSharp.DeviceType.CUDA)
        {
            cuda.synchronize(device);
        }
    }
}
