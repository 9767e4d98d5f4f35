namespace Omni.Bench.Measuring;

/// <summary>A process's resident set size, from /proc/PID/status (VmRSS).</summary>
internal static class ResidentMemory
{
    public static long Bytes(int processId)
    {
        foreach (var line in File.ReadLines($"/proc/{processId}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                var kilobytes = long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
                return kilobytes * 1024;
            }
        }
        throw new InvalidOperationException($"/proc/{processId}/status has no VmRSS line.");
    }
}
