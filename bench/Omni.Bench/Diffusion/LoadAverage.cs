using System.Globalization;

namespace Omni.Bench.Diffusion;

/// <summary>The machine's 1-minute load average (/proc/loadavg), and waiting for a quiet machine.</summary>
internal static class LoadAverage
{
    public static double OneMinute()
    {
        var text = File.ReadAllText("/proc/loadavg");
        return double.Parse(text.Split(' ')[0], CultureInfo.InvariantCulture);
    }

    /// <summary>"load average: a, b, c" as uptime prints it.</summary>
    public static string Uptime()
    {
        var fields = File.ReadAllText("/proc/loadavg").Split(' ');
        return $"load average: {fields[0]}, {fields[1]}, {fields[2]}";
    }

    /// <summary>
    /// Polls until the machine is quiet: the 1-minute load below <paramref name="maximum"/> on two readings 15 s apart
    /// and no other omni-bench process running (two benchmarks waiting for the same quiet moment would otherwise
    /// start together). False when <paramref name="timeout"/> passes first.
    /// </summary>
    public static async Task<bool> WaitBelowAsync(double maximum, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        var quietReadings = 0;
        while (quietReadings < 2)
        {
            quietReadings = OneMinute() < maximum && !OtherBenchmarkRunning() ? quietReadings + 1 : 0;
            if (quietReadings == 2)
            {
                break;
            }
            if (DateTime.UtcNow >= deadline)
            {
                return false;
            }
            if (quietReadings == 0)
            {
                Console.Error.WriteLine($"  waiting for a quiet machine ({Uptime()}, want < {maximum.ToString(CultureInfo.InvariantCulture)}" +
                    $"{(OtherBenchmarkRunning() ? ", another omni-bench is running" : "")})");
            }
            await Task.Delay(TimeSpan.FromSeconds(15), cancellationToken);
        }
        return true;
    }

    private static bool OtherBenchmarkRunning()
    {
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid == Environment.ProcessId)
            {
                continue;
            }
            try
            {
                if (File.ReadAllText(Path.Combine(directory, "cmdline")).Contains("omni-bench", StringComparison.Ordinal))
                {
                    return true;
                }
            }
            catch (IOException)
            {
                // The process ended.
            }
            catch (UnauthorizedAccessException)
            {
                // Not ours to read.
            }
        }
        return false;
    }
}
