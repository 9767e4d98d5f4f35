using Omni.Code2Wav.Model;
using Omni.Common.Torch;
using static TorchSharp.torch;

namespace Omni.Code2Wav.Engine;

/// <summary>One forward pass of the vocoder over a code sequence, and the check of its codes.</summary>
public static class Code2WavDecoding
{
    /// <summary>The samples of the whole sequence at once.</summary>
    public static float[] DecodeWhole(Code2WavModel model, Device device, IReadOnlyList<int> frames)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(frames);
        CheckCodes(model.Config, frames);
        return frames.Count == 0 ? [] : Run(model, device, [.. frames.Select(code => (long)code)], 0);
    }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first code outside [0, codebook_size).</summary>
    public static void CheckCodes(Code2WavConfig config, IReadOnlyList<int> frames)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(frames);
        for (var i = 0; i < frames.Count; i++)
        {
            if (frames[i] < 0 || frames[i] >= config.CodebookSize)
            {
                throw new ArgumentException($"codes[{i}] is {frames[i]}, outside the codebook [0, {config.CodebookSize}).", nameof(frames));
            }
        }
    }

    /// <summary>Runs <paramref name="codes"/> and returns the samples after its first <paramref name="contextFrames"/> frames.</summary>
    internal static float[] Run(Code2WavModel model, Device device, long[] codes, int contextFrames) =>
        RunBatch(model, device, [new DecodeJob(codes, contextFrames)])[0];

    /// <summary>
    /// Runs jobs whose inputs have one length as one batch and returns each job's own samples (those after its context).
    /// </summary>
    public static float[][] RunBatch(Code2WavModel model, Device device, IReadOnlyList<DecodeJob> jobs)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(jobs);
        if (jobs.Count == 0 || jobs.Any(job => job.Input.Length != jobs[0].Input.Length))
        {
            throw new ArgumentException("A batch needs at least one job, and every job's input of one length.", nameof(jobs));
        }
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var hop = model.Config.HopLength;
        var length = jobs[0].Input.Length;
        var codes = new long[jobs.Count * length];
        for (var i = 0; i < jobs.Count; i++)
        {
            jobs[i].Input.CopyTo(codes, i * length);
        }
        var input = DeviceUploads.Upload(codes, [jobs.Count, length], device);
        // The one rounding to float32 (Code2WavModel computes in float64), then one copy to the host for the batch.
        var samples = HostCopies.ToArray<float>(model.forward(input).to(float32).contiguous());
        var results = new float[jobs.Count][];
        for (var i = 0; i < jobs.Count; i++)
        {
            var start = (i * length + jobs[i].ContextFrames) * hop;
            results[i] = samples.AsSpan(start, (length - jobs[i].ContextFrames) * hop).ToArray();
        }
        return results;
    }
}
