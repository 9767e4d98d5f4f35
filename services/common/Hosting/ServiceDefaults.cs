using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Omni.Common.Metrics;
using Omni.Common.Metrics.Platform;
using Omni.Common.Tracing;

namespace Omni.Common.Hosting;

/// <summary>What every Omni process gets: Kestrel on two ports, gRPC with health and reflection, /metrics, logging, options.</summary>
public static class ServiceDefaults
{
    public static WebApplicationBuilder CreateBuilder(string[] args, IReadOnlyDictionary<string, string> serviceSwitches)
    {
        var normalized = CommandLine.Normalize(args);
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = normalized });
        builder.Configuration.AddCommandLine(normalized, CommandLine.Switches(serviceSwitches));
        return builder;
    }

    /// <param name="builder">The service's builder.</param>
    /// <param name="serviceName">The service's name in traces (OpenTelemetry's service.name).</param>
    /// <param name="httpApi">Whether the service serves an HTTP API on <see cref="EndpointOptions.HttpPort"/>.</param>
    public static WebApplicationBuilder AddOmniServiceDefaults(this WebApplicationBuilder builder, string serviceName, bool httpApi = false)
    {
        builder.Services.AddOptions<EndpointOptions>()
            .Bind(builder.Configuration.GetSection(EndpointOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddOptions<MetricsOptions>()
            .Bind(builder.Configuration.GetSection(MetricsOptions.SectionName));
        builder.Services.AddOptions<TlsOptions>().Bind(builder.Configuration.GetSection(TlsOptions.SectionName));
        builder.Services.AddSingleton<TlsCertificates>();
        builder.Services.AddSingleton<PeerChannels>();
        var tls = new TlsCertificates(Options.Create(builder.Configuration.GetSection(TlsOptions.SectionName).Get<TlsOptions>() ?? new TlsOptions()));

        var endpoints = builder.Configuration.GetSection(EndpointOptions.SectionName).Get<EndpointOptions>() ?? new EndpointOptions();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            var address = IPAddress.Parse(endpoints.Host);
            kestrel.Listen(address, endpoints.GrpcPort, listen =>
            {
                listen.Protocols = HttpProtocols.Http2;
                tls.ConfigureListener(listen);
            });
            kestrel.Limits.Http2.InitialStreamWindowSize = endpoints.Http2StreamWindowBytes;
            kestrel.Limits.Http2.InitialConnectionWindowSize = endpoints.Http2ConnectionWindowBytes;
            kestrel.Listen(address, endpoints.MetricsPort, listen => listen.Protocols = HttpProtocols.Http1);
            if (httpApi && endpoints.HttpPort != 0)
            {
                kestrel.Listen(address, endpoints.HttpPort, listen =>
                {
                    listen.Protocols = HttpProtocols.Http1AndHttp2;
                    tls.ConfigureListener(listen);
                });
            }
        });

        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(console =>
        {
            console.SingleLine = true;
            console.TimestampFormat = "HH:mm:ss.fff ";
        });
        // Per-request framework logs would drown the service's own; configuration can still lower these.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Grpc", LogLevel.Warning);

        builder.Services.AddGrpc(grpc =>
        {
            grpc.MaxReceiveMessageSize = endpoints.MaxMessageBytes;
            grpc.MaxSendMessageSize = endpoints.MaxMessageBytes;
            grpc.EnableDetailedErrors = false;
            grpc.Interceptors.Add<ExceptionStatusInterceptor>();
        });
        builder.Services.AddGrpcReflection();
        builder.Services.AddGrpcHealthChecks().AddCheck<ReadinessHealthCheck>("ready");

        builder.AddOmniTracing(serviceName, endpoints.MetricsPort);
        builder.Services.AddSingleton(services => new MetricRegistry(!services.GetRequiredService<IOptions<MetricsOptions>>().Value.DisableLogStats));
        builder.Services.AddSingleton<PlatformMetrics>();
        return builder;
    }

    /// <summary>
    /// Starts the platform's metrics (process, runtime, ASP.NET Core, Kestrel, HttpClient) with the process's identity
    /// labels; call it before the ports open, so that the server's instruments are bridged from its first connection.
    /// </summary>
    public static WebApplication UsePlatformMetrics(this WebApplication app, string[] identityNames, string[] identityValues)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.Services.GetRequiredService<PlatformMetrics>().Start(identityNames, identityValues);
        return app;
    }

    public static WebApplication MapOmniDefaultEndpoints(this WebApplication app)
    {
        var endpoints = app.Services.GetRequiredService<IOptions<EndpointOptions>>().Value;
        app.MapGrpcHealthChecksService();
        if (endpoints.EnableReflection)
        {
            app.MapGrpcReflectionService();
        }
        app.MapGet("/metrics", (HttpContext context, MetricRegistry registry) =>
        {
            // OpenMetrics only when the scraper asks for it, as Prometheus does with its Accept header.
            var openMetrics = context.Request.Headers.Accept.Any(accept => accept?.Contains("application/openmetrics-text", StringComparison.Ordinal) == true);
            return openMetrics
                ? Results.Text(registry.Expose(ExpositionFormat.OpenMetrics), "application/openmetrics-text; version=1.0.0; charset=utf-8")
                : Results.Text(registry.Expose(ExpositionFormat.Text), "text/plain; version=0.0.4; charset=utf-8");
        }).RequireHost($"*:{endpoints.MetricsPort}");
        app.MapGet("/healthz", () => Results.Text("ok")).RequireHost($"*:{endpoints.MetricsPort}");
        // For probes that cannot speak TLS to the gRPC port (Kubernetes' gRPC probes): the gRPC health's answer over
        // plain HTTP, 200 for SERVING and 503 for NOT_SERVING.
        app.MapGet("/readyz", (HealthCheckService health, CancellationToken cancellationToken) => ReadyAsync(health, cancellationToken)).RequireHost($"*:{endpoints.MetricsPort}");
        return app;
    }

    /// <summary>200 while the service serves (every health check healthy or degraded, as the gRPC health's SERVING), else 503.</summary>
    public static async Task<IResult> ReadyAsync(HealthCheckService health, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(health);
        var report = await health.CheckHealthAsync(cancellationToken).ConfigureAwait(false);
        return report.Status == HealthStatus.Unhealthy
            ? Results.Text("not serving", statusCode: StatusCodes.Status503ServiceUnavailable)
            : Results.Text("serving");
    }
}
