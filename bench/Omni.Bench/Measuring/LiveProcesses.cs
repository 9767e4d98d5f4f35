using Omni.Cli.Launching;

namespace Omni.Bench.Measuring;

/// <summary>Service processes a benchmark started: killed when the benchmark process exits, even when a signal stops it.</summary>
internal static class LiveProcesses
{
    private static readonly HashSet<ServiceProcess> Live = [];

    public static void Track(ServiceProcess process)
    {
        lock (Live)
        {
            if (Live.Count == 0)
            {
                AppDomain.CurrentDomain.ProcessExit += KillLive;
            }
            Live.Add(process);
        }
    }

    public static void Untrack(ServiceProcess process)
    {
        lock (Live)
        {
            Live.Remove(process);
        }
    }

    private static void KillLive(object? sender, EventArgs e)
    {
        lock (Live)
        {
            foreach (var process in Live)
            {
                process.Kill();
            }
        }
    }
}
