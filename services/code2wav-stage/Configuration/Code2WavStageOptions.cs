using System.ComponentModel.DataAnnotations;
using Omni.Common.Hosting;

namespace Omni.Code2WavStage.Configuration;

/// <summary>The code2wav stage's settings: the shared model options plus its batch size and input limit.</summary>
public sealed class Code2WavStageOptions : StageModelOptions
{
    /// <summary>Most chunks (of any requests) decoded together in one forward pass.</summary>
    [Range(1, 256)]
    public int MaxBatchSize { get; set; } = 16;

    /// <summary>
    /// Chunks of one request queued for decoding at once. A request whose talker runs ahead waits for its own chunks
    /// instead of filling the loop's queue, whose bound (MaxWaiting) refuses only a request's first chunk: a request is
    /// refused before any of its audio, never midway.
    /// </summary>
    [Range(1, 256)]
    public int MaxChunksPerRequest { get; set; } = 4;

    /// <summary>Largest codes input of one request, in bytes (4 per frame).</summary>
    [Range(4, 1L << 30)]
    public long MaxCodesBytes { get; set; } = 1L << 20;
}
