namespace Omni.Common.Metrics;

/// <summary>The bucket sets of the metric contract (docs/metrics.md), in one place.</summary>
public static class MetricBuckets
{
    /// <summary>Request seconds (vLLM).</summary>
    public static readonly double[] Request =
        [0.3, 0.5, 0.8, 1, 1.5, 2, 2.5, 5, 10, 15, 20, 30, 40, 50, 60, 120, 240, 480, 960, 1920, 7680];

    /// <summary>Time to first token, seconds (vLLM).</summary>
    public static readonly double[] TimeToFirstToken =
        [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80, 160, 640, 2560];

    /// <summary>Inter-token latency, seconds (vLLM).</summary>
    public static readonly double[] InterTokenLatency =
        [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80];

    /// <summary>Milliseconds, for per-request phases.</summary>
    public static readonly double[] Milliseconds =
        [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 60000];

    /// <summary>Sub-millisecond to seconds, in milliseconds: transfers and denoising steps.</summary>
    public static readonly double[] FastMilliseconds =
        [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500];

    /// <summary>1 KiB .. 256 MiB in powers of four.</summary>
    public static readonly double[] Bytes = Enumerable.Range(0, 10).Select(n => 1024 * Math.Pow(4, n)).ToArray();

    /// <summary>Iteration tokens (vLLM).</summary>
    public static readonly double[] IterationTokens =
        [1, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384];

    public static readonly double[] ImagePixels = [65536, 262144, 589824, 1048576, 2359296, 4194304];

    /// <summary>Audio lengths, seconds.</summary>
    public static readonly double[] AudioSeconds = [0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300];

    /// <summary>Real-time factors.</summary>
    public static readonly double[] RealTimeFactor = [0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 1, 1.25, 1.5, 2, 5, 10];

    /// <summary>Millisecond to seconds, in seconds: audio underruns.</summary>
    public static readonly double[] FastSeconds = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    /// <summary>Codec frames per vocoder chunk.</summary>
    public static readonly double[] ChunkFrames = [1, 2, 5, 10, 25, 50, 100, 200];

    public static readonly double[] InferenceSteps = [1, 2, 4, 8, 16, 25, 32, 50, 75, 100, 150, 200];

    /// <summary>Token counts: 1-2-5 steps up to and including the model's maximum length.</summary>
    public static double[] Tokens(int maxModelLength)
    {
        var buckets = new List<double>();
        for (var exponent = 1; ; exponent *= 10)
        {
            foreach (var mantissa in new[] { 1, 2, 5 })
            {
                var value = mantissa * exponent;
                if (value > maxModelLength)
                {
                    return [.. buckets];
                }
                buckets.Add(value);
            }
        }
    }
}
