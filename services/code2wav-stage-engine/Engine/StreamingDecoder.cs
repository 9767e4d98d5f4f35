using Omni.Code2Wav.Model;
using static TorchSharp.torch;

namespace Omni.Code2Wav.Engine;

/// <summary>
/// Decodes one request's codec frames chunk by chunk as they arrive. Each chunk runs with the last
/// <see cref="Code2WavConfig.ContextFrames"/> frames before it and keeps only its own samples; every layer being
/// causal, those samples are the ones decoding the whole sequence at once gives.
/// </summary>
public sealed class StreamingDecoder(Code2WavModel model, Device device)
{
    private readonly List<long> _history = [];

    /// <summary>Frames decoded so far.</summary>
    public long Frames { get; private set; }

    /// <summary>The samples of <paramref name="frames"/> (frames × hop of them), in [-1, 1], decoded now on this thread.</summary>
    public float[] Decode(IReadOnlyList<int> frames)
    {
        var job = Prepare(frames);
        return job.Frames == 0 ? [] : Code2WavDecoding.RunBatch(model, device, [job])[0];
    }

    /// <summary>
    /// The job that decodes <paramref name="frames"/> after the frames prepared before (for an engine loop to run);
    /// jobs of one stream do not depend on each other's results, only on the codes before them.
    /// </summary>
    public DecodeJob Prepare(IReadOnlyList<int> frames)
    {
        ArgumentNullException.ThrowIfNull(frames);
        Code2WavDecoding.CheckCodes(model.Config, frames);
        var context = _history.Count;
        var input = _history.Concat(frames.Select(code => (long)code)).ToArray();
        var keep = Math.Min(model.Config.ContextFrames, input.Length);
        _history.Clear();
        _history.AddRange(input.AsSpan(input.Length - keep).ToArray());
        Frames += frames.Count;
        return new DecodeJob(input, context);
    }
}
