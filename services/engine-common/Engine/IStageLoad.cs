namespace Omni.Common.Engine;

/// <summary>How busy a stage's engine is now; read by the load reports the orchestrator routes on.</summary>
public interface IStageLoad
{
    int Running { get; }

    int Waiting { get; }

    /// <summary>Fraction of the KV cache in use (0 where the engine has none).</summary>
    double KvCacheUsage => 0;
}
