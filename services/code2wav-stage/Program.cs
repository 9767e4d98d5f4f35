using Microsoft.Extensions.Options;
using Omni.Code2Wav.Engine;
using Omni.Code2WavStage.Configuration;
using Omni.Code2WavStage.Grpc;
using Omni.Code2WavStage.Metrics;
using Omni.Code2WavStage.Serving;
using Omni.Common.Engine;
using Omni.Common.Hosting;

var builder = ServiceDefaults.CreateBuilder(args, new Dictionary<string, string>(StageDefaults.Switches)
{
    ["--max-batch-size"] = "Model:MaxBatchSize",
    ["--max-codes-bytes"] = "Model:MaxCodesBytes",
    ["--max-chunks-per-request"] = "Model:MaxChunksPerRequest",
});
builder.AddOmniServiceDefaults("omni-code2wav-stage");
builder.AddStageDefaults<Code2WavStageOptions>();

builder.Services.AddSingleton(services => Code2WavEngineLoader.Load(
    services.GetRequiredService<IOptions<Code2WavStageOptions>>().Value, services.GetRequiredService<ILogger<Code2WavEngine>>()));
builder.Services.AddSingleton<ICode2WavObserver, Code2WavStageMetrics>();
builder.Services.AddSingleton(services =>
{
    var options = services.GetRequiredService<IOptions<Code2WavStageOptions>>().Value;
    var loop = services.GetRequiredService<Code2WavEngine>().CreateLoop(options.MaxBatchSize, Math.Max(1, options.MaxWaiting),
        services.GetRequiredService<ICode2WavObserver>());
    loop.Start();
    StageWarmUp.Run(options, loop.WarmUp, services.GetRequiredService<ILogger<Code2WavEngineLoop>>());
    return loop;
});
builder.Services.AddSingleton<IStageLoad>(services => new Code2WavLoopLoad(services.GetRequiredService<Code2WavEngineLoop>()));

var app = builder.Build();
// Load the model before the ports open, so that health reports SERVING only once requests can be served.
app.Services.GetRequiredService<Code2WavEngineLoop>();
app.UseStagePlatformMetrics(app.Services.GetRequiredService<Code2WavEngine>().ModelName);
app.MapOmniDefaultEndpoints();
app.MapGrpcService<Code2WavStageService>();
app.Run();
