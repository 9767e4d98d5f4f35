using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Omni.DiffusionStage.Model;

/// <summary>The architecture described by a checkpoint's config.json (snake_case keys).</summary>
public sealed record DiffusionModelConfig
{
    public const string ExpectedModelType = "omni-dit";

    /// <summary>A video DiT: latents [C, frames, h, w] cut into spatio-temporal patches of patch_size_t frames.</summary>
    public const string VideoModelType = "omni-video-dit";

    public string ModelType { get; init; } = ExpectedModelType;

    public required int LatentChannels { get; init; }

    public required int PatchSize { get; init; }

    /// <summary>Frames per patch along time (video models; 1 for images).</summary>
    public int PatchSizeT { get; init; } = 1;

    public required int HiddenSize { get; init; }

    public required int Depth { get; init; }

    public required int NumHeads { get; init; }

    public double MlpRatio { get; init; } = 4.0;

    /// <summary>Width of the conditioning hidden states (the AR stage's hidden size).</summary>
    public required int ConditioningWidth { get; init; }

    public int FrequencyEmbeddingSize { get; init; } = 256;

    /// <summary>Pixels per latent cell; equals 2^(decoder_channels.Length - 1).</summary>
    public int VaeScaleFactor { get; init; } = 8;

    /// <summary>Decoder channels per resolution, lowest resolution first.</summary>
    public required int[] DecoderChannels { get; init; }

    public int DecoderNormGroups { get; init; } = 8;

    /// <summary>Latents are divided by this before decoding (0.18215 in Stable Diffusion's VAE).</summary>
    public double LatentScalingFactor { get; init; } = 1.0;

    public int NumTrainTimesteps { get; init; } = 1000;

    /// <summary>Flow-matching timestep shift (diffusers' FlowMatchEulerDiscreteScheduler "shift").</summary>
    public double SchedulerShift { get; init; } = 1.0;

    [JsonIgnore]
    public bool IsVideo => ModelType == VideoModelType;

    /// <summary>Latent values per token: patch_size_t * patch_size^2 * latent_channels.</summary>
    [JsonIgnore]
    public int PatchValues => PatchSizeT * PatchSize * PatchSize * LatentChannels;

    [JsonIgnore]
    public int MlpHiddenSize => (int)(HiddenSize * MlpRatio);

    [JsonIgnore]
    public int HeadDim => HiddenSize / NumHeads;

    /// <summary>Image sizes must be multiples of this.</summary>
    [JsonIgnore]
    public int SizeMultiple => VaeScaleFactor * PatchSize;

    internal static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.Strict,
    };

    public static DiffusionModelConfig FromJson(string json)
    {
        DiffusionModelConfig? config;
        try
        {
            config = JsonSerializer.Deserialize<DiffusionModelConfig>(json, JsonOptions);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"Invalid diffusion model config: {e.Message}", e);
        }

        if (config is null)
        {
            throw new InvalidDataException("Invalid diffusion model config: the document is null.");
        }

        config.Validate();
        return config;
    }

    public static DiffusionModelConfig Load(string path) => FromJson(File.ReadAllText(path));

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>Throws <see cref="InvalidDataException"/> naming the first inconsistent field.</summary>
    public void Validate()
    {
        if (ModelType is not (ExpectedModelType or VideoModelType))
        {
            Fail($"model_type is '{ModelType}', expected '{ExpectedModelType}' or '{VideoModelType}'");
        }

        RequirePositive(LatentChannels, "latent_channels");
        RequirePositive(PatchSize, "patch_size");
        RequirePositive(PatchSizeT, "patch_size_t");
        if (!IsVideo && PatchSizeT != 1)
        {
            Fail($"patch_size_t is {PatchSizeT}, must be 1 for an image model ('{ExpectedModelType}')");
        }
        RequirePositive(HiddenSize, "hidden_size");
        RequirePositive(Depth, "depth");
        RequirePositive(NumHeads, "num_heads");
        RequirePositive(ConditioningWidth, "conditioning_width");
        RequirePositive(FrequencyEmbeddingSize, "frequency_embedding_size");
        RequirePositive(DecoderNormGroups, "decoder_norm_groups");
        RequirePositive(NumTrainTimesteps, "num_train_timesteps");

        if (HiddenSize % NumHeads != 0)
        {
            Fail($"hidden_size {HiddenSize} is not divisible by num_heads {NumHeads}");
        }

        // The 2D sin-cos positional embedding splits hidden_size into 4 equal sin/cos parts.
        if (HiddenSize % 4 != 0)
        {
            Fail($"hidden_size {HiddenSize} is not divisible by 4");
        }

        if (FrequencyEmbeddingSize % 2 != 0)
        {
            Fail($"frequency_embedding_size {FrequencyEmbeddingSize} is odd");
        }

        if (!double.IsFinite(MlpRatio) || MlpHiddenSize <= 0)
        {
            Fail($"mlp_ratio {MlpRatio} gives no MLP width");
        }

        if (DecoderChannels is null || DecoderChannels.Length < 1)
        {
            Fail("decoder_channels is empty");
        }

        foreach (var channels in DecoderChannels)
        {
            RequirePositive(channels, "decoder_channels[]");
            if (channels % DecoderNormGroups != 0)
            {
                Fail($"decoder channel count {channels} is not divisible by decoder_norm_groups {DecoderNormGroups}");
            }
        }

        if (VaeScaleFactor != 1 << (DecoderChannels.Length - 1))
        {
            Fail($"vae_scale_factor {VaeScaleFactor} does not match {DecoderChannels.Length - 1} decoder upsamples (2^{DecoderChannels.Length - 1})");
        }

        if (!double.IsFinite(LatentScalingFactor) || LatentScalingFactor <= 0)
        {
            Fail($"latent_scaling_factor {LatentScalingFactor} must be positive");
        }

        if (!double.IsFinite(SchedulerShift) || SchedulerShift <= 0)
        {
            Fail($"scheduler_shift {SchedulerShift} must be positive");
        }
    }

    private static void RequirePositive(int value, string name)
    {
        if (value <= 0)
        {
            Fail($"{name} is {value}, must be positive");
        }
    }

    [DoesNotReturn]
    private static void Fail(string message) => throw new InvalidDataException($"Invalid diffusion model config: {message}.");
}
