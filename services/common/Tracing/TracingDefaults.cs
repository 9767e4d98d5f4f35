using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Omni.Common.Tracing;

/// <summary>
/// OpenTelemetry tracing, on when the standard OTLP endpoint variable is set (OTEL_EXPORTER_OTLP_ENDPOINT or
/// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) and OTEL_SDK_DISABLED is not true; off otherwise, with no listener at all. The SDK reads the other OTEL_*
/// variables itself (OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, OTEL_TRACES_SAMPLER and _ARG, the exporter's
/// protocol, headers and timeout). Background calls (load watches, health, stage info) and the metrics port are not
/// traced: a trace is a request.
/// </summary>
public static class TracingDefaults
{
    public const string EndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";
    public const string TracesEndpointVariable = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT";
    public const string DisabledVariable = "OTEL_SDK_DISABLED";

    private static readonly string[] UntracedMethods =
    [
        "/omni.v1.Stage/WatchLoad",
        "/omni.v1.Stage/GetInfo",
        "/grpc.health.v1.Health/",
        "/grpc.reflection.",
    ];

    public static bool IsEnabled(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        if (string.Equals(configuration[DisabledVariable], "true", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }
        return !string.IsNullOrWhiteSpace(configuration[EndpointVariable]) || !string.IsNullOrWhiteSpace(configuration[TracesEndpointVariable]);
    }

    /// <param name="builder">The service's builder.</param>
    /// <param name="serviceName">service.name unless OTEL_SERVICE_NAME says otherwise.</param>
    /// <param name="metricsPort">The port whose requests (scrapes, probes) are never traced.</param>
    public static WebApplicationBuilder AddOmniTracing(this WebApplicationBuilder builder, string serviceName, int metricsPort)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (!IsEnabled(builder.Configuration))
        {
            return builder;
        }
        var identity = builder.Configuration.GetSection("Stage");
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource =>
            {
                resource.AddService(serviceName, serviceInstanceId: Environment.MachineName);
                if (identity.Exists())
                {
                    resource.AddAttributes(new Dictionary<string, object>
                    {
                        [OmniTrace.StageId] = identity["StageId"] ?? "0",
                        [OmniTrace.ReplicaId] = identity["ReplicaId"] ?? "0",
                    });
                }
            })
            .WithTracing(tracing => tracing
                .AddSource(OmniTrace.SourceName)
                .AddAspNetCoreInstrumentation(options => options.Filter = context =>
                    context.Connection.LocalPort != metricsPort && IsTraced(context.Request.Path))
                .AddGrpcClientInstrumentation(options => options.Filter = request => IsTraced(request.RequestUri?.AbsolutePath))
                .AddOtlpExporter());
        return builder;
    }

    private static bool IsTraced(PathString path) => IsTraced(path.Value);

    private static bool IsTraced(string? path) =>
        path is not null && !UntracedMethods.Any(prefix => path.StartsWith(prefix, StringComparison.Ordinal));

    /// <summary>
    /// Every response of the public ports names its trace in a <c>traceresponse</c> header (W3C Trace Context level 2),
    /// whether or not the trace is exported, so a client can quote it. The request's activity is the server span when
    /// tracing is on; otherwise one is started here from the caller's <c>traceparent</c> (or a new trace).
    /// </summary>
    public static IApplicationBuilder UseTraceResponse(this IApplicationBuilder app, int metricsPort) => app.Use(async (context, next) =>
    {
        if (context.Connection.LocalPort == metricsPort)
        {
            await next(context).ConfigureAwait(false);
            return;
        }
        using var started = Activity.Current is null ? StartFromHeaders(context.Request) : null;
        var current = Activity.Current!;
        context.Response.Headers["traceresponse"] = $"00-{current.TraceId.ToHexString()}-{current.SpanId.ToHexString()}-{(current.Recorded ? "01" : "00")}";
        await next(context).ConfigureAwait(false);
    });

    private static Activity StartFromHeaders(HttpRequest request)
    {
        var activity = new Activity("omni.server");
        if (ActivityContext.TryParse(request.Headers["traceparent"].FirstOrDefault(), request.Headers["tracestate"].FirstOrDefault(), out var parent))
        {
            activity.SetParentId(parent.TraceId, parent.SpanId, parent.TraceFlags);
        }
        return activity.Start();
    }
}
