namespace Omni.ArStage.Engine;

/// <summary>One step's plan: the batch (running sequences first, then the newly admitted), and what it took to make it.</summary>
internal sealed record SchedulerOutput(
    IReadOnlyList<ScheduledSequence> Batch,
    int Preemptions,
    int PrefixCacheQueries,
    int PrefixCacheHits);
