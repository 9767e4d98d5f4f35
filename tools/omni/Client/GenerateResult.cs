using Omni.Contracts.V1;

namespace Omni.Cli.Client;

/// <summary>Everything one Generate call streamed back, gathered.</summary>
public sealed record GenerateResult(string RequestId, string Text, IReadOnlyList<int> TokenIds, IReadOnlyList<TokenLogprob> Logprobs, int TextMessages,
    IReadOnlyList<Image> Images, GenerateFinal Final)
{
    /// <summary>The audio chunks in stream order.</summary>
    public IReadOnlyList<AudioChunk> AudioChunks { get; init; } = [];

    /// <summary>From sending the request to the first audio chunk's arrival, on this client's clock.</summary>
    public TimeSpan? FirstAudio { get; init; }

    /// <summary>From sending the request to the last audio chunk's arrival.</summary>
    public TimeSpan? LastAudio { get; init; }

    /// <summary>The video chunks in stream order.</summary>
    public IReadOnlyList<VideoChunk> VideoChunks { get; init; } = [];

    /// <summary>From sending the request to the first video chunk's arrival, on this client's clock.</summary>
    public TimeSpan? FirstVideo { get; init; }

    /// <summary>From sending the request to the last video chunk's arrival.</summary>
    public TimeSpan? LastVideo { get; init; }

    /// <summary>The frames the server generated for the video (the final's video_frames; 0 without video).</summary>
    public uint VideoFrames => Final.VideoFrames;

    /// <summary>The clip's length, frames / fps (the final's video_duration_seconds; 0 without video).</summary>
    public double VideoDurationSeconds => Final.VideoDurationSeconds;

    /// <summary>The first image, or null when none came back.</summary>
    public Image? Image => Images.Count > 0 ? Images[0] : null;
}
