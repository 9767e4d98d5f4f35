using Omni.Code2Wav.Engine;
using Omni.Common.Engine;

namespace Omni.Code2WavStage.Serving;

/// <summary>The vocoder loop's queue as the load this replica reports to the orchestrators.</summary>
public sealed class Code2WavLoopLoad(Code2WavEngineLoop loop) : IStageLoad
{
    public int Running => loop.Running;

    public int Waiting => loop.Waiting;
}
