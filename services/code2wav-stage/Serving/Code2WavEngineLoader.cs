using System.Diagnostics;
using Omni.Code2Wav.Engine;
using Omni.Common.Hosting;
using Omni.Common.Devices;
using Omni.Common.Numerics;

namespace Omni.Code2WavStage.Serving;

public static class Code2WavEngineLoader
{
    /// <summary>Loads the configured checkpoint (or the built-in default vocoder) before the service starts serving.</summary>
    public static Code2WavEngine Load(StageModelOptions settings, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var started = Stopwatch.GetTimestamp();
        var engine = LibTorchInstallation.Load(() => Code2WavEngine.Load(new Code2WavEngineOptions
        {
            ModelDirectory = StageModelOptions.NullIfEmpty(settings.ModelDirectory),
            Device = settings.Device,
            CacheDirectory = StageModelOptions.NullIfEmpty(settings.CacheDirectory),
            ModelName = StageModelOptions.NullIfEmpty(settings.ModelName),
        }));
        logger.LogInformation("Loaded {Model} (codebook {Codebook}, {Rate} Hz, {Hop} samples per frame, {Context} frames of left context) on {Device} in {Elapsed:F0} ms",
            engine.ModelName, engine.CodebookSize, engine.SampleRate, engine.Config.HopLength, engine.Config.ContextFrames, engine.DeviceName,
            Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        logger.LogInformation("Numerics: {Mode}", NumericalReproducibility.Describe());
        logger.LogInformation("{LibTorch}", LibTorchInstallation.Describe());
        return engine;
    }
}
