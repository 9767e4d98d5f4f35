using System.Diagnostics;
using static Omni.Bench.Measuring.Statistics;
using static TorchSharp.torch;

namespace Omni.Bench.Ar;

/// <summary>This machine's float32 matrix-multiply throughput through libtorch: the ceiling a forward pass can reach.</summary>
internal static class MatmulRoofline
{
    /// <summary>Median GFLOP/s of [n, n] x [n, n] products.</summary>
    public static double MeasureGflops(int n = 1024, int repeats = 7)
    {
        using var scope = NewDisposeScope();
        using var inference = inference_mode();
        var a = randn(n, n);
        var b = randn(n, n);
        a.mm(b);
        var rates = new List<double>();
        for (var i = 0; i < repeats; i++)
        {
            var started = Stopwatch.GetTimestamp();
            using (a.mm(b))
            {
            }

            rates.Add(2.0 * n * n * n / Stopwatch.GetElapsedTime(started).TotalSeconds / 1e9);
        }

        return Median(rates);
    }
}
