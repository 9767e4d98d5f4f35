namespace Omni.Cli.Bench;

/// <summary>What requests a benchmark sends: the mix of kinds and the distributions their sizes are drawn from.</summary>
public sealed record WorkloadOptions
{
    /// <summary>Relative weights of text, image, text+image and speech (text+audio) requests (a zero weight leaves the kind out).</summary>
    public (double Text, double Image, double Both, double Speech) Mix { get; init; } = (1, 0, 0, 0);

    /// <summary>Prompt length in words, drawn uniformly from this inclusive range.</summary>
    public (int Min, int Max) PromptWords { get; init; } = (8, 32);

    /// <summary>max_tokens, drawn uniformly from this inclusive range.</summary>
    public (int Min, int Max) MaxTokens { get; init; } = (16, 64);

    /// <summary>Image sizes (square side, multiples of 16), drawn uniformly.</summary>
    public IReadOnlyList<int> ImageSizes { get; init; } = [256];

    /// <summary>Denoising steps, drawn uniformly from this inclusive range.</summary>
    public (int Min, int Max) Steps { get; init; } = (20, 20);

    /// <summary>Speech requests' audio.max_duration_seconds, drawn uniformly from this range (milliseconds apart).</summary>
    public (double Min, double Max) AudioSeconds { get; init; } = (2, 4);

    /// <summary>Speech requests' audio.chunk_frames: codec frames per chunk the talker hands the vocoder.</summary>
    public int ChunkFrames { get; init; } = 25;

    /// <summary>Prompts read from a JSONL file (one object per line with a "prompt" field); null: generated.</summary>
    public IReadOnlyList<string>? Prompts { get; init; }

    public ulong Seed { get; init; } = 1;
}
