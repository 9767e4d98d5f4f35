using System.Globalization;

namespace Omni.Bench.Measuring;

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
    /// (a benchmark that another session started in the meantime shows in the second). False when
    /// <paramref name="timeout"/> passes first.
    /// </summary>
    public static async Task<bool> WaitBelowAsync(double maximum, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        var quietReadings = 0;
        while (true)
        {
            quietReadings = OneMinute() < maximum ? quietReadings + 1 : 0;
            if (quietReadings == 2)
            {
                return true;
            }
            if (DateTime.UtcNow >= deadline)
            {
                return false;
            }
            if (quietReadings == 0)
            {
                Console.Error.WriteLine($"  waiting for a quiet machine ({Uptime()}, want < {maximum.ToString(CultureInfo.InvariantCulture)})");
            }
            await Task.Delay(TimeSpan.FromSeconds(15), cancellationToken);
        }
    }
}
