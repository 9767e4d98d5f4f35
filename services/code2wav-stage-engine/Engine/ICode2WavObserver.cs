using Omni.Common.Engine;

namespace Omni.Code2Wav.Engine;

/// <summary>What the vocoder loop reports: its running/waiting counts and every decoded chunk.</summary>
public interface ICode2WavObserver : IEngineQueueObserver
{
    /// <summary>One chunk decoded: its frames, and the batched forward pass it was part of (its time is the chunk's).</summary>
    void OnChunk(int frames, TimeSpan time);
}
