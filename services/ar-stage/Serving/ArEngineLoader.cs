using System.Diagnostics;
using Omni.ArStage.Engine;
using Omni.Common.Hosting;
using Omni.Common.Devices;
using Omni.Common.Numerics;

namespace Omni.ArStage.Serving;

public static class ArEngineLoader
{
    public static ArEngineOptions ToEngineOptions(ArStageOptions settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return new ArEngineOptions
        {
            ModelDirectory = StageModelOptions.NullIfEmpty(settings.ModelDirectory),
            BuiltInModel = settings.BuiltInModel,
            Device = settings.Device,
            CacheDirectory = StageModelOptions.NullIfEmpty(settings.CacheDirectory),
            ModelName = StageModelOptions.NullIfEmpty(settings.ModelName),
            DType = settings.DType,
            BlockSize = settings.BlockSize,
            NumKvBlocks = settings.NumKvBlocks,
            KvCacheMemoryFraction = settings.KvCacheMemoryFraction,
            GpuMemoryUtilization = settings.GpuMemoryUtilization,
            MaxNumSeqs = settings.MaxNumSeqs,
            MaxNumBatchedTokens = settings.MaxNumBatchedTokens,
            MaxWaiting = settings.MaxWaiting,
            EnablePrefixCaching = settings.EnablePrefixCaching,
            BatchInvariant = settings.BatchInvariant,
            CudaGraphs = settings.CudaGraphs,
            TorchThreads = settings.TorchThreads,
        };
    }

    /// <summary>Loads the configured checkpoint (or the built-in default model) and starts its engine loop before the service serves.</summary>
    public static ArEngine Load(ArStageOptions settings, IArEngineObserver observer, ILogger logger)
    {
        var started = Stopwatch.GetTimestamp();
        var engine = LibTorchInstallation.Load(() => ArEngine.Load(ToEngineOptions(settings), observer));
        if (engine.TakesPromptEmbeddings && engine.CodecFrameRate is null)
        {
            engine.Dispose();
            throw new InvalidOperationException(
                $"The talker checkpoint {engine.ModelName} has prompt_embedding_size but no codec_frame_rate in its config.json: a talker needs its codec's frames per second.");
        }
        var cache = engine.CacheConfig;
        logger.LogInformation(
            "Loaded {Model} (hidden size {Hidden}, vocabulary {Vocab}, {DType}) on {Device} in {Elapsed:F0} ms; KV cache {Blocks} blocks of {BlockSize} tokens ({Megabytes:F0} MiB, prefix caching {PrefixCaching}), max {Seqs} sequences, {Tokens} tokens per step",
            engine.ModelName, engine.HiddenSize, engine.VocabSize, cache.DType, engine.DeviceName, Stopwatch.GetElapsedTime(started).TotalMilliseconds,
            cache.NumBlocks, cache.BlockSize, cache.NumBlocks * (double)cache.BytesPerBlock / (1 << 20), cache.PrefixCaching ? "on" : "off",
            cache.MaxNumSeqs, cache.MaxNumBatchedTokens);
        logger.LogInformation("Numerics: {Mode}; batch-invariant {BatchInvariant}; CUDA graphs {CudaGraphs}", NumericalReproducibility.Describe(),
            engine.BatchInvariant, engine.CudaGraphs);
        logger.LogInformation("{LibTorch}", LibTorchInstallation.Describe());
        try
        {
            StageWarmUp.Run(settings, engine.WarmUp, logger);
        }
        catch
        {
            engine.Dispose();
            throw;
        }
        return engine;
    }
}
