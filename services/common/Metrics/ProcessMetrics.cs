using System.Diagnostics;
using System.Globalization;

namespace Omni.Common.Metrics;

/// <summary>
/// The standard process families, under the names every Prometheus client library exports them (the Go and Python
/// clients' process collector), read at each scrape from the process and, on Linux, /proc/self.
/// </summary>
public static class ProcessMetrics
{
    public static readonly MetricDefinition CpuSeconds = new("process_cpu_seconds_total", MetricType.Counter,
        "Total user and system CPU time spent in seconds.", []);
    public static readonly MetricDefinition ResidentMemory = new("process_resident_memory_bytes", MetricType.Gauge,
        "Resident memory size in bytes.", []);
    public static readonly MetricDefinition VirtualMemory = new("process_virtual_memory_bytes", MetricType.Gauge,
        "Virtual memory size in bytes.", []);
    public static readonly MetricDefinition OpenFds = new("process_open_fds", MetricType.Gauge,
        "Number of open file descriptors.", []);
    public static readonly MetricDefinition MaxFds = new("process_max_fds", MetricType.Gauge,
        "Maximum number of open file descriptors.", []);
    public static readonly MetricDefinition StartTime = new("process_start_time_seconds", MetricType.Gauge,
        "Start time of the process since unix epoch in seconds.", []);
    public static readonly MetricDefinition Threads = new("process_num_threads", MetricType.Gauge,
        "Number of OS threads in the process.", []);
    public static readonly MetricDefinition ManagedHeap = new("dotnet_total_memory_bytes", MetricType.Gauge,
        "Bytes currently thought to be allocated on the managed heap.", []);

    public static readonly IReadOnlyList<MetricDefinition> Families =
        [CpuSeconds, ResidentMemory, VirtualMemory, OpenFds, MaxFds, StartTime, Threads, ManagedHeap];

    /// <summary>Registers the families with the process's identity labels (none, or the replica's).</summary>
    public static void Register(MetricRegistry registry, string[]? identityNames = null, string[]? identityValues = null)
    {
        ArgumentNullException.ThrowIfNull(registry);
        var names = identityNames ?? [];
        var values = identityValues ?? [];
        MetricDefinition Labelled(MetricDefinition family) => family with { LabelNames = names, Platform = true };
        var cpu = registry.Counter(Labelled(CpuSeconds)).WithLabels(values);
        var resident = registry.Gauge(Labelled(ResidentMemory)).WithLabels(values);
        var virtualMemory = registry.Gauge(Labelled(VirtualMemory)).WithLabels(values);
        var openFds = registry.Gauge(Labelled(OpenFds)).WithLabels(values);
        var maxFds = registry.Gauge(Labelled(MaxFds)).WithLabels(values);
        var start = registry.Gauge(Labelled(StartTime)).WithLabels(values);
        var threads = registry.Gauge(Labelled(Threads)).WithLabels(values);
        var heap = registry.Gauge(Labelled(ManagedHeap)).WithLabels(values);
        using (var self = Process.GetCurrentProcess())
        {
            start.Set(new DateTimeOffset(self.StartTime.ToUniversalTime()).ToUnixTimeMilliseconds() / 1000.0);
        }
        if (MaxOpenFiles() is { } limit)
        {
            maxFds.Set(limit);
        }
        registry.AddBeforeCollect(() =>
        {
            using var self = Process.GetCurrentProcess();
            cpu.IncTo(self.TotalProcessorTime.TotalSeconds);
            resident.Set(self.WorkingSet64);
            virtualMemory.Set(self.VirtualMemorySize64);
            threads.Set(self.Threads.Count);
            heap.Set(GC.GetTotalMemory(forceFullCollection: false));
            if (OpenFileCount() is { } open)
            {
                openFds.Set(open);
            }
        });
    }

    private static int? OpenFileCount() =>
        Directory.Exists("/proc/self/fd") ? Directory.EnumerateFileSystemEntries("/proc/self/fd").Count() : null;

    /// <summary>The soft limit on open files (the "Max open files" row of /proc/self/limits).</summary>
    private static double? MaxOpenFiles()
    {
        if (!File.Exists("/proc/self/limits"))
        {
            return null;
        }
        foreach (var line in File.ReadLines("/proc/self/limits"))
        {
            if (line.StartsWith("Max open files", StringComparison.Ordinal))
            {
                var soft = line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
                return soft == "unlimited" ? double.PositiveInfinity : double.Parse(soft, CultureInfo.InvariantCulture);
            }
        }
        return null;
    }
}
