using System.Globalization;

namespace Omni.Bench.Measuring;

/// <summary>A process's CPU time (user + system), from /proc/PID/stat, in milliseconds (resolution: one clock tick, 10 ms).</summary>
internal static class ProcessCpu
{
    private const double MillisecondsPerTick = 10; // USER_HZ is 100 on Linux

    public static double Milliseconds(int processId)
    {
        var stat = File.ReadAllText($"/proc/{processId}/stat");
        // The command name may hold spaces: the fields after it start past its closing parenthesis.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) * MillisecondsPerTick;
    }
}
