using Omni.Common.Hosting;
using Omni.Orchestrator.Admission;
using Omni.Orchestrator.Configuration;
using Omni.Orchestrator.Grpc;
using Omni.Orchestrator.Metrics;
using Omni.Orchestrator.Pipeline;

var builder = ServiceDefaults.CreateBuilder(args, new Dictionary<string, string>
{
    ["--model-name"] = "Pipeline:ModelName",
    ["--ar-address"] = "Pipeline:ArAddress",
    ["--diffusion-address"] = "Pipeline:DiffusionAddress",
    ["--max-inflight"] = "Pipeline:MaxInflight",
    ["--max-waiting"] = "Pipeline:MaxWaiting",
});
builder.AddOmniServiceDefaults();

builder.Services.AddOptions<PipelineOptions>()
    .Bind(builder.Configuration.GetSection(PipelineOptions.SectionName))
    .ValidateDataAnnotations()
    .ValidateOnStart();
builder.Services.AddSingleton<PipelineStages>();
builder.Services.AddSingleton<AdmissionController>();
builder.Services.AddSingleton<PipelineMetrics>();
builder.Services.AddSingleton<IPipelineObserver>(services => services.GetRequiredService<PipelineMetrics>());
builder.Services.AddSingleton<PipelineRunner>();

var app = builder.Build();
app.MapOmniDefaultEndpoints();
app.MapGrpcService<OmniService>();
app.Run();
