using Omni.ArStage.Engine;
using Omni.Common.Engine;

namespace Omni.ArStage.Metrics;

/// <summary>What the AR stage reports about each request; the metrics implement it.</summary>
public interface IArStageObserver : IEngineQueueObserver
{
    /// <summary>Starts measuring one request that arrived at <paramref name="arrivalTimestamp"/> (Stopwatch ticks).</summary>
    IArRequestObserver StartRequest(long arrivalTimestamp, int maxTokens);
}

public interface IArRequestObserver
{
    void OnScheduled(TimeSpan queueTime);

    void OnToken();

    void OnFinished(GenerationResult result);

    /// <summary>Cancelled or failed before it finished.</summary>
    void OnAborted();
}
