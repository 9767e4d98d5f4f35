using Microsoft.Extensions.Options;
using Omni.Common.Engine;
using Omni.Common.Hosting;
using Omni.DiffusionStage.Configuration;
using Omni.DiffusionStage.Engine;
using Omni.DiffusionStage.Grpc;
using Omni.DiffusionStage.Metrics;
using Omni.DiffusionStage.Serving;

var builder = ServiceDefaults.CreateBuilder(args, new Dictionary<string, string>(StageDefaults.Switches)
{
    ["--max-conditioning-bytes"] = "Model:MaxConditioningBytes",
});
builder.AddOmniServiceDefaults();
builder.AddStageDefaults<DiffusionStageOptions>();

builder.Services.AddSingleton(services => DiffusionEngineLoader.Load(
    services.GetRequiredService<IOptions<DiffusionStageOptions>>().Value, services.GetRequiredService<ILogger<DiffusionEngine>>()));
builder.Services.AddSingleton<IDiffusionStageObserver, DiffusionStageMetrics>();
builder.Services.AddSingleton(services => new EngineWorkQueue("diffusion-engine",
    services.GetRequiredService<IOptions<DiffusionStageOptions>>().Value.MaxWaiting, services.GetRequiredService<IDiffusionStageObserver>()));

var app = builder.Build();
// Load the model before the ports open, so that health reports SERVING only once requests can be served.
app.Services.GetRequiredService<EngineWorkQueue>();
app.MapOmniDefaultEndpoints();
app.MapGrpcService<DiffusionStageService>();
app.Run();
