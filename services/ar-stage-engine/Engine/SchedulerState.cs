namespace Omni.ArStage.Engine;

/// <param name="KvCacheUsage">Fraction of KV blocks held by sequences (0..1); cached blocks nobody holds count as free.</param>
public readonly record struct SchedulerState(int Running, int Waiting, double KvCacheUsage);
