using Omni.ArStage.Engine;
using Omni.Common.Engine;

namespace Omni.ArStage.Serving;

/// <summary>The engine's scheduler state as the load this replica reports to the orchestrators.</summary>
public sealed class ArEngineLoad(ArEngine engine) : IStageLoad
{
    public int Running => engine.State.Running;

    public int Waiting => engine.State.Waiting;

    public double KvCacheUsage => engine.State.KvCacheUsage;
}
