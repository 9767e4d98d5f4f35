using Microsoft.Extensions.Options;
using Omni.ArStage.Engine;
using Omni.ArStage.Grpc;
using Omni.ArStage.Metrics;
using Omni.ArStage.Serving;
using Omni.Common.Engine;
using Omni.Common.Hosting;
using Omni.Common.Metrics;

var builder = ServiceDefaults.CreateBuilder(ArStageSwitches.Normalize(args), ArStageSwitches.All);
builder.AddOmniServiceDefaults("omni-ar-stage");
builder.AddStageDefaults<ArStageOptions>();

builder.Services.AddSingleton(services => new ArStageMetrics(
    services.GetRequiredService<IOptions<StageIdentityOptions>>(), services.GetRequiredService<IOptions<MetricsOptions>>(),
    services.GetRequiredService<MetricRegistry>(),
    ArEngineLoader.ToEngineOptions(services.GetRequiredService<IOptions<ArStageOptions>>().Value).ResolveModelName()));
builder.Services.AddSingleton(services => ArEngineLoader.Load(
    services.GetRequiredService<IOptions<ArStageOptions>>().Value, services.GetRequiredService<ArStageMetrics>(),
    services.GetRequiredService<ILogger<ArEngine>>()));

builder.Services.AddSingleton<IStageLoad>(services => new ArEngineLoad(services.GetRequiredService<ArEngine>()));

var app = builder.Build();
// Load the model and start the engine loop before the ports open, so that health reports SERVING only once requests can be served.
app.UseStagePlatformMetrics(app.Services.GetRequiredService<ArEngine>().ModelName);
app.MapOmniDefaultEndpoints();
app.MapGrpcService<ArStageService>();
app.Run();
