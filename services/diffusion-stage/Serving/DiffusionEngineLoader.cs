using System.Diagnostics;
using Omni.Common.Hosting;
using Omni.Common.Devices;
using Omni.Common.Numerics;
using Omni.DiffusionStage.Configuration;
using Omni.DiffusionStage.Engine;

namespace Omni.DiffusionStage.Serving;

public static class DiffusionEngineLoader
{
    /// <summary>Loads the configured checkpoint (or the built-in default model) before the service starts serving.</summary>
    public static DiffusionEngine Load(DiffusionStageOptions settings, ILogger logger)
    {
        var started = Stopwatch.GetTimestamp();
        var engine = LibTorchInstallation.Load(() => DiffusionEngine.Load(new DiffusionEngineOptions
        {
            ModelDirectory = StageModelOptions.NullIfEmpty(settings.ModelDirectory),
            BuiltInModel = settings.BuiltInModel,
            Device = settings.Device,
            CacheDirectory = StageModelOptions.NullIfEmpty(settings.CacheDirectory),
            ModelName = StageModelOptions.NullIfEmpty(settings.ModelName),
        }));
        logger.LogInformation("Loaded {Model} (conditioning width {Width}) on {Device} in {Elapsed:F0} ms",
            engine.ModelName, engine.ConditioningWidth, engine.DeviceName, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        logger.LogInformation("Numerics: {Mode}", NumericalReproducibility.Describe());
        logger.LogInformation("{LibTorch}", LibTorchInstallation.Describe());
        return engine;
    }
}
