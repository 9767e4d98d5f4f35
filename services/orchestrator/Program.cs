using Omni.Common.Hosting;
using Omni.Common.Tracing;
using Omni.Orchestrator.Admission;
using Omni.Orchestrator.Configuration;
using Omni.Orchestrator.Grpc;
using Omni.Orchestrator.Health;
using Omni.Orchestrator.Metrics;
using Omni.Orchestrator.OpenAi;
using Omni.Orchestrator.Pipeline;
using Omni.Orchestrator.Routing;

var builder = ServiceDefaults.CreateBuilder(args, new Dictionary<string, string>
{
    ["--pipeline"] = PipelineDefinition.FileKey,
    ["--model-name"] = "Pipeline:ModelName",
    ["--ar-address"] = "Pipeline:Stages:0:Addresses",
    ["--diffusion-address"] = "Pipeline:Stages:1:Addresses",
    ["--talker-address"] = "Pipeline:Stages:2:Addresses",
    ["--code2wav-address"] = "Pipeline:Stages:3:Addresses",
    ["--video-address"] = "Pipeline:Stages:4:Addresses",
    ["--ar-dns"] = "Pipeline:Stages:0:Dns",
    ["--diffusion-dns"] = "Pipeline:Stages:1:Dns",
    ["--talker-dns"] = "Pipeline:Stages:2:Dns",
    ["--code2wav-dns"] = "Pipeline:Stages:3:Dns",
    ["--video-dns"] = "Pipeline:Stages:4:Dns",
    ["--connector"] = "Pipeline:Stages:1:Inputs:0:Connector",
    ["--max-chunks-in-flight"] = "Pipeline:Stages:1:Inputs:0:MaxChunksInFlight",
    ["--max-inflight"] = "Pipeline:MaxInflight",
    ["--max-waiting"] = "Pipeline:MaxWaiting",
    ["--bearer-token"] = "Auth:BearerToken",
    ["--bearer-token-file"] = "Auth:BearerTokenFile",
});
builder.Configuration.AddPipelineDefinition(builder.Configuration[PipelineDefinition.FileKey]);
builder.AddOmniServiceDefaults("omni-orchestrator", httpApi: true);

builder.Services.AddOptions<PipelineOptions>()
    .Bind(builder.Configuration.GetSection(PipelineOptions.SectionName))
    .ValidateDataAnnotations()
    .ValidateOnStart();
builder.Services.AddSingleton<PipelineStages>();
builder.Services.AddHostedService(services => services.GetRequiredService<PipelineStages>());
builder.Services.AddSingleton(services => services.GetRequiredService<PipelineStages>().Graph);
builder.Services.AddSingleton<IReplicaBinder, ReplicaBinder>();
builder.Services.AddHealthChecks().AddCheck<PipelineReadinessHealthCheck>("stages");
builder.Services.AddSingleton<AdmissionController>();
builder.Services.AddSingleton<PipelineMetrics>();
builder.Services.AddSingleton<IPipelineObserver>(services => services.GetRequiredService<PipelineMetrics>());
builder.Services.AddSingleton<GraphRunner>();
builder.Services.AddSingleton<GenerateHandler>();
builder.Services.AddSingleton<CheckpointChatTemplate>();
builder.Services.AddSingleton<OpenAiDoor>();

var app = builder.Build();
app.UsePlatformMetrics(Omni.Common.Metrics.MetricLabels.Pipeline, [app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<PipelineOptions>>().Value.ModelName]);
var endpoints = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<EndpointOptions>>().Value;
var bearerToken = builder.Configuration.GetSection(BearerTokenOptions.SectionName).Get<BearerTokenOptions>()?.Resolve();
app.UseTraceResponse(endpoints.MetricsPort);
app.UseBearerToken(bearerToken, ["/omni.v1.Omni/"]);
app.UseBearerToken(bearerToken, [OpenAiEndpoints.PathPrefix], OpenAiEndpoints.RejectAsync);
app.UseGrpcRequestDecoding(new Dictionary<string, Google.Protobuf.MessageParser>
{
    ["/omni.v1.Omni/Generate"] = Omni.Contracts.V1.GenerateRequest.Parser,
}, endpoints.MaxMessageBytes,
    status => app.Services.GetRequiredService<IPipelineObserver>().OnFailed(
        status == Grpc.Core.StatusCode.ResourceExhausted ? FailureReason.Rejected : FailureReason.InvalidArgument));
app.MapOmniDefaultEndpoints();
app.MapGrpcService<OmniService>();
if (endpoints.HttpPort != 0)
{
    app.MapOpenAiDoor(endpoints.HttpPort);
}
app.Run();
