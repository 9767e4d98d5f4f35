using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Omni.Code2Wav.Model;

/// <summary>
/// The vocoder described by a checkpoint's config.json (snake_case keys): codec codes in, a mono waveform out, every
/// layer causal, so a sample depends only on the frames up to its own.
/// </summary>
public sealed record Code2WavConfig
{
    public const string ExpectedModelType = "omni-code2wav";

    public string ModelType { get; init; } = ExpectedModelType;

    /// <summary>Codes per codebook (the talker's audio vocabulary, without its BOS/EOS).</summary>
    public required int CodebookSize { get; init; }

    /// <summary>Width of the code embedding and of the first convolution's output.</summary>
    public required int EmbeddingDim { get; init; }

    /// <summary>Output channels of each upsampling stage, first stage first.</summary>
    public required int[] UpsampleChannels { get; init; }

    /// <summary>Upsampling factor of each stage; their product is the samples per codec frame.</summary>
    public required int[] UpsampleRates { get; init; }

    /// <summary>Dilations of the residual units after each upsampling (one unit per dilation).</summary>
    public int[] ResidualDilations { get; init; } = [1, 3];

    public int KernelSize { get; init; } = 7;

    public int SampleRate { get; init; } = 24000;

    public double LeakyReluSlope { get; init; } = 0.1;

    /// <summary>Samples per codec frame.</summary>
    [JsonIgnore]
    public int HopLength => UpsampleRates.Aggregate(1, (product, rate) => product * rate);

    /// <summary>
    /// Frames of left context a chunk needs for its samples to equal the whole sequence's: the receptive field, in
    /// frames, of every causal layer (input convolution at the frame rate, each upsampling's previous step and each
    /// residual convolution at its stage's rate, the output convolution at the sample rate), rounded up, plus one.
    /// </summary>
    [JsonIgnore]
    public int ContextFrames
    {
        get
        {
            var frames = (double)(KernelSize - 1);
            var rate = 1;
            foreach (var stageRate in UpsampleRates)
            {
                frames += 1.0 / rate;
                rate *= stageRate;
                frames += ResidualDilations.Sum(dilation => (KernelSize - 1) * dilation) / (double)rate;
            }
            frames += (KernelSize - 1) / (double)rate;
            return (int)Math.Ceiling(frames) + 1;
        }
    }

    internal static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.Strict,
    };

    public static Code2WavConfig FromJson(string json)
    {
        Code2WavConfig? config;
        try
        {
            config = JsonSerializer.Deserialize<Code2WavConfig>(json, JsonOptions);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"Invalid code2wav model config: {e.Message}", e);
        }
        if (config is null)
        {
            throw new InvalidDataException("Invalid code2wav model config: the document is null.");
        }
        config.Validate();
        return config;
    }

    public static Code2WavConfig Load(string path) => FromJson(File.ReadAllText(path));

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>Throws <see cref="InvalidDataException"/> naming the first inconsistent field.</summary>
    public void Validate()
    {
        if (ModelType != ExpectedModelType)
        {
            Fail($"model_type is '{ModelType}', expected '{ExpectedModelType}'");
        }
        RequirePositive(CodebookSize, "codebook_size");
        RequirePositive(EmbeddingDim, "embedding_dim");
        RequirePositive(SampleRate, "sample_rate");
        if (KernelSize < 1 || KernelSize % 2 == 0)
        {
            Fail($"kernel_size is {KernelSize}, must be odd and positive");
        }
        if (UpsampleChannels is null || UpsampleRates is null || UpsampleChannels.Length == 0 || UpsampleChannels.Length != UpsampleRates.Length)
        {
            Fail("upsample_channels and upsample_rates must be non-empty and of the same length");
        }
        foreach (var channels in UpsampleChannels)
        {
            RequirePositive(channels, "upsample_channels[]");
        }
        foreach (var rate in UpsampleRates)
        {
            RequirePositive(rate, "upsample_rates[]");
        }
        if (ResidualDilations is null)
        {
            Fail("residual_dilations is missing");
        }
        foreach (var dilation in ResidualDilations)
        {
            RequirePositive(dilation, "residual_dilations[]");
        }
        if (!double.IsFinite(LeakyReluSlope) || LeakyReluSlope < 0)
        {
            Fail($"leaky_relu_slope {LeakyReluSlope} must be finite and not negative");
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
    private static void Fail(string message) => throw new InvalidDataException($"Invalid code2wav model config: {message}.");
}
