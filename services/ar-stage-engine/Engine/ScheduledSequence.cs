namespace Omni.ArStage.Engine;

/// <summary>A sequence in this step's batch and how many of its tokens the step computes.</summary>
internal readonly record struct ScheduledSequence(Sequence Sequence, int Count);
