using Microsoft.Extensions.Options;
using Omni.Common.Engine;
using Omni.Common.Hosting;
using Omni.DiffusionStage.Configuration;
using Omni.DiffusionStage.Encoding;
using Omni.DiffusionStage.Engine;
using Omni.DiffusionStage.Grpc;
using Omni.DiffusionStage.Metrics;
using Omni.DiffusionStage.Serving;

var builder = ServiceDefaults.CreateBuilder(args, new Dictionary<string, string>(StageDefaults.Switches)
{
    ["--max-conditioning-bytes"] = "Model:MaxConditioningBytes",
    ["--max-batch-size"] = "Model:MaxBatchSize",
    ["--builtin-model"] = "Model:BuiltInModel",
});
builder.AddOmniServiceDefaults("omni-diffusion-stage");
builder.AddStageDefaults<DiffusionStageOptions>();

builder.Services.AddSingleton(services => DiffusionEngineLoader.Load(
    services.GetRequiredService<IOptions<DiffusionStageOptions>>().Value, services.GetRequiredService<ILogger<DiffusionEngine>>()));
builder.Services.AddSingleton<IDiffusionEngineObserver, DiffusionStageMetrics>();
builder.Services.AddSingleton(services =>
{
    var options = services.GetRequiredService<IOptions<DiffusionStageOptions>>().Value;
    var loop = new DiffusionEngineLoop(services.GetRequiredService<DiffusionEngine>(), options.MaxBatchSize, options.MaxWaiting,
        services.GetRequiredService<IDiffusionEngineObserver>());
    loop.Start();
    StageWarmUp.Run(options, loop.WarmUp, services.GetRequiredService<ILogger<DiffusionEngineLoop>>());
    return loop;
});

builder.Services.AddSingleton<VideoProcessor>();
builder.Services.AddSingleton<IStageLoad>(services => new DiffusionLoopLoad(services.GetRequiredService<DiffusionEngineLoop>()));

var app = builder.Build();
// Load the model before the ports open, so that health reports SERVING only once requests can be served.
app.Services.GetRequiredService<DiffusionEngineLoop>();
if (app.Services.GetRequiredService<DiffusionEngine>().IsVideo)
{
    app.Logger.LogInformation("Video encoder: {Ffmpeg}", FfmpegInstallation.Require());
}
app.UseStagePlatformMetrics(app.Services.GetRequiredService<DiffusionEngine>().ModelName);
app.MapOmniDefaultEndpoints();
app.MapGrpcService<DiffusionStageService>();
app.Run();
