using Omni.Common.Engine;

namespace Omni.DiffusionStage.Engine;

/// <summary>What the engine loop reports: its running/waiting counts, every request's steps and its completion.</summary>
public interface IDiffusionEngineObserver : IEngineQueueObserver, IDiffusionStepObserver
{
    /// <summary>A request finished with its images (not told for failed or cancelled requests).</summary>
    void OnCompleted(DiffusionResult result);
}
