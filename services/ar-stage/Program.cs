using Microsoft.Extensions.Options;
using Omni.ArStage.Engine;
using Omni.ArStage.Grpc;
using Omni.ArStage.Metrics;
using Omni.ArStage.Serving;
using Omni.Common.Engine;
using Omni.Common.Hosting;

var builder = ServiceDefaults.CreateBuilder(args, StageDefaults.Switches);
builder.AddOmniServiceDefaults();
builder.AddStageDefaults<StageModelOptions>();

builder.Services.AddSingleton(services => ArEngineLoader.Load(
    services.GetRequiredService<IOptions<StageModelOptions>>().Value, services.GetRequiredService<ILogger<ArEngine>>()));
builder.Services.AddSingleton<IArStageObserver, ArStageMetrics>();
builder.Services.AddSingleton(services => new EngineWorkQueue("ar-engine",
    services.GetRequiredService<IOptions<StageModelOptions>>().Value.MaxWaiting, services.GetRequiredService<IArStageObserver>()));

var app = builder.Build();
// Load the model before the ports open, so that health reports SERVING only once requests can be served.
app.Services.GetRequiredService<EngineWorkQueue>();
app.MapOmniDefaultEndpoints();
app.MapGrpcService<ArStageService>();
app.Run();
