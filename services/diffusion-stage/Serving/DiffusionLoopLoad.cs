using Omni.Common.Engine;
using Omni.DiffusionStage.Engine;

namespace Omni.DiffusionStage.Serving;

/// <summary>The engine loop's queues as the load this replica reports to the orchestrators.</summary>
public sealed class DiffusionLoopLoad(DiffusionEngineLoop loop) : IStageLoad
{
    public int Running => loop.Running;

    public int Waiting => loop.Waiting;
}
