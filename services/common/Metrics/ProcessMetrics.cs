using System.Diagnostics;

namespace Omni.Common.Metrics;

/// <summary>The standard process families (as every Prometheus client exports them), refreshed on each scrape.</summary>
public static class ProcessMetrics
{
    public static readonly MetricDefinition CpuSeconds = new("process_cpu_seconds_total", MetricType.Counter,
        "Total user and system CPU time spent in seconds.", []);
    public static readonly MetricDefinition ResidentMemory = new("process_resident_memory_bytes", MetricType.Gauge,
        "Resident memory size in bytes.", []);
    public static readonly MetricDefinition StartTime = new("process_start_time_seconds", MetricType.Gauge,
        "Start time of the process since unix epoch in seconds.", []);
    public static readonly MetricDefinition ManagedHeap = new("dotnet_total_memory_bytes", MetricType.Gauge,
        "Bytes currently thought to be allocated on the managed heap.", []);

    public static readonly IReadOnlyList<MetricDefinition> Families = [CpuSeconds, ResidentMemory, StartTime, ManagedHeap];

    public static void Register(MetricRegistry registry)
    {
        var cpu = registry.Counter(CpuSeconds).WithLabels();
        var resident = registry.Gauge(ResidentMemory).WithLabels();
        var start = registry.Gauge(StartTime).WithLabels();
        var heap = registry.Gauge(ManagedHeap).WithLabels();
        using (var self = Process.GetCurrentProcess())
        {
            start.Set(new DateTimeOffset(self.StartTime.ToUniversalTime()).ToUnixTimeMilliseconds() / 1000.0);
        }
        registry.AddBeforeCollect(() =>
        {
            using var self = Process.GetCurrentProcess();
            cpu.IncTo(self.TotalProcessorTime.TotalSeconds);
            resident.Set(self.WorkingSet64);
            heap.Set(GC.GetTotalMemory(forceFullCollection: false));
        });
    }
}
