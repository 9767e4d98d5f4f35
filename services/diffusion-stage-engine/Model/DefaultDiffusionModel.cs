using Omni.Common.Caching;
using Omni.Common.Torch;
using static TorchSharp.torch;

namespace Omni.DiffusionStage.Model;

/// <summary>
/// The built-in models used when no checkpoint is given: an image DiT and a video DiT, each a fixed architecture with
/// weights drawn from a fixed seed, written once to a cache directory as an ordinary checkpoint and then loaded like
/// any other.
/// </summary>
public static class DefaultDiffusionModel
{
    public const string Name = "omni-dit-default";

    /// <summary>Bump when the architecture or the initialization changes, so stale caches are not reused.</summary>
    public const string CacheDirectoryName = "diffusion-default-v1";

    public const string VideoName = "omni-video-dit-default";

    /// <summary>Bump when the video model's architecture or initialization changes.</summary>
    public const string VideoCacheDirectoryName = "video-default-v1";

    public const string CacheEnvironmentVariable = SeededModelCache.CacheEnvironmentVariable;

    private const ulong WeightSeed = 0x0A11D1FF;

    private static readonly string[] CheckpointFiles = [DiffusionCheckpoint.ConfigFileName, DiffusionCheckpoint.WeightsFileName];

    public static DiffusionModelConfig Config { get; } = new()
    {
        LatentChannels = 4,
        PatchSize = 2,
        HiddenSize = 256,
        Depth = 5,
        NumHeads = 4,
        MlpRatio = 4.0,
        ConditioningWidth = 256,
        FrequencyEmbeddingSize = 256,
        VaeScaleFactor = 8,
        DecoderChannels = [128, 64, 32, 16],
        DecoderNormGroups = 8,
        LatentScalingFactor = 1.0,
        NumTrainTimesteps = 1000,
        SchedulerShift = 1.0,
    };

    /// <summary>
    /// The video model: the image model's decoder and blocks (one fewer), over spatio-temporal patches of 2 frames x
    /// 2 x 2 latent cells. 16 frames at 128x128 are 8 x 8 x 8 = 512 tokens.
    /// </summary>
    public static DiffusionModelConfig VideoConfig { get; } = Config with
    {
        ModelType = DiffusionModelConfig.VideoModelType,
        PatchSizeT = 2,
        Depth = 4,
    };

    /// <summary>
    /// The directory holding the default checkpoint: &lt;root&gt;/diffusion-default-v1, the root being
    /// <paramref name="cacheRoot"/>, else $OMNI_CACHE_DIR, else ~/.cache/omni/models (<see cref="SeededModelCache.ResolveRoot"/>).
    /// </summary>
    public static string ResolveDirectory(string? cacheRoot) => Path.Combine(SeededModelCache.ResolveRoot(cacheRoot), CacheDirectoryName);

    /// <summary>
    /// Returns the default checkpoint's directory, generating it first when it is not there yet (atomically, through
    /// a staging directory: <see cref="SeededModelCache.EnsureCreated"/>).
    /// </summary>
    public static string EnsureCached(string? cacheRoot) =>
        SeededModelCache.EnsureCreated(cacheRoot, CacheDirectoryName, CheckpointFiles, Write);

    /// <summary>The default video checkpoint's directory (&lt;root&gt;/video-default-v1), generated on first use.</summary>
    public static string EnsureCachedVideo(string? cacheRoot) =>
        SeededModelCache.EnsureCreated(cacheRoot, VideoCacheDirectoryName, CheckpointFiles, directory =>
        {
            using var model = Create(VideoConfig);
            DiffusionCheckpoint.Save(model, directory);
        });

    /// <summary>Writes the default checkpoint (config.json, model.safetensors) into <paramref name="directory"/>.</summary>
    private static void Write(string directory)
    {
        using var model = Create();
        DiffusionCheckpoint.Save(model, directory);
    }

    /// <summary>Builds the default model with its deterministic weights (CPU).</summary>
    public static OmniDiffusionModel Create() => Create(Config);

    /// <summary>Builds a model of another architecture with the default model's deterministic initialization (CPU).</summary>
    public static OmniDiffusionModel Create(DiffusionModelConfig config)
    {
        var model = new OmniDiffusionModel(config);
        SeededWeights.Initialize(model, WeightSeed, InitialValue);
        return model;
    }

    /// <remarks>
    /// Unlike adaLN-Zero training init (zero modulation and output layers, which makes an untrained model the
    /// identity and its images flat), every matrix gets a nonzero fan-in-scaled normal init, so the random
    /// model computes a non-trivial velocity and the decoder a textured image.
    /// </remarks>
    private static Tensor InitialValue(string name, long[] shape, Generator generator)
    {
        if (name == "null_conditioning")
        {
            return randn(shape, generator: generator);
        }

        if (shape.Length == 1)
        {
            var isNormScale = name.EndsWith(".weight", StringComparison.Ordinal);
            return isNormScale ? ones(shape) : zeros(shape);
        }

        var fanIn = shape.Skip(1).Aggregate(1L, (product, size) => product * size);
        var gain = name.Contains(".modulation.", StringComparison.Ordinal) ? 0.5 : 1.0;
        return randn(shape, generator: generator).mul(gain / Math.Sqrt(fanIn));
    }
}
