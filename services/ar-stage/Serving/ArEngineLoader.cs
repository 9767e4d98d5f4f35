using System.Diagnostics;
using Omni.Common.Hosting;
using Omni.ArStage.Engine;

namespace Omni.ArStage.Serving;

public static class ArEngineLoader
{
    /// <summary>Loads the configured checkpoint (or the built-in default model) before the service starts serving.</summary>
    public static ArEngine Load(StageModelOptions settings, ILogger logger)
    {
        var started = Stopwatch.GetTimestamp();
        var engine = ArEngine.Load(new ArEngineOptions
        {
            ModelDirectory = StageModelOptions.NullIfEmpty(settings.ModelDirectory),
            Device = settings.Device,
            CacheDirectory = StageModelOptions.NullIfEmpty(settings.CacheDirectory),
            ModelName = StageModelOptions.NullIfEmpty(settings.ModelName),
        });
        logger.LogInformation("Loaded {Model} (hidden size {Hidden}, vocabulary {Vocab}) on {Device} in {Elapsed:F0} ms",
            engine.ModelName, engine.HiddenSize, engine.VocabSize, engine.DeviceName, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        return engine;
    }
}
