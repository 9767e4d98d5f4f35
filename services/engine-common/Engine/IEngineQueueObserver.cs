namespace Omni.Common.Engine;

/// <summary>Observes queue transitions (running/waiting counts, queue time).</summary>
public interface IEngineQueueObserver
{
    void OnQueueChanged(int running, int waiting);
}
