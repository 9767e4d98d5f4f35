using Omni.Common.Metrics;
using Omni.Common.Metrics.Platform;

namespace Omni.Common.Tests;

public sealed class PrometheusNamingTests
{
    [Theory]
    [InlineData("http.server.request.duration", "s", MetricType.Histogram, "http_server_request_duration_seconds")]
    [InlineData("dotnet.gc.collections", "{collection}", MetricType.Counter, "dotnet_gc_collections_total")]
    [InlineData("dotnet.gc.heap.total_allocated", "By", MetricType.Counter, "dotnet_gc_heap_total_allocated_bytes_total")]
    [InlineData("kestrel.active_connections", "{connection}", MetricType.Gauge, "kestrel_active_connections")]
    [InlineData("dotnet.process.cpu.time", "s", MetricType.Counter, "dotnet_process_cpu_time_seconds_total")]
    [InlineData("system.cpu.utilization", "1", MetricType.Gauge, "system_cpu_utilization_ratio")]
    [InlineData("dotnet.timer.count", "{timer}", MetricType.Gauge, "dotnet_timer_count_value")]
    [InlineData("queue-size", null, MetricType.Gauge, "queue_size")]
    [InlineData("request.duration_seconds", "s", MetricType.Histogram, "request_duration_seconds")]
    public void MetricName_Instrument_FollowsOpenTelemetrysPrometheusRules(string instrument, string? unit, MetricType type, string expected)
    {
        Assert.Equal(expected, PrometheusNaming.MetricName(instrument, unit, type));
    }

    [Fact]
    public void LabelName_DottedTag_Underscored()
    {
        Assert.Equal("http_response_status_code", PrometheusNaming.LabelName("http.response.status_code"));
    }
}
