namespace Omni.Cli.Bench;

/// <summary>How requests arrive: at a rate (gamma-distributed gaps), or from a fixed number of concurrent clients.</summary>
public abstract record LoadShape
{
    public sealed record Rate(double RequestsPerSecond, double Burstiness) : LoadShape
    {
        public override string ToString() => $"rate={RequestsPerSecond:0.###}/s";
    }

    public sealed record Concurrency(int Clients) : LoadShape
    {
        public override string ToString() => $"concurrency={Clients}";
    }
}

/// <summary>One benchmark point: the load, how long it lasts (a number of requests and/or a duration), and the warm-up.</summary>
public sealed record BenchPlan(LoadShape Load)
{
    /// <summary>Requests to send (null: until <see cref="Duration"/>).</summary>
    public int? Requests { get; init; } = 50;

    /// <summary>How long to keep sending (null: until <see cref="Requests"/> were sent).</summary>
    public TimeSpan? Duration { get; init; }

    /// <summary>Requests sent one at a time before the measured ones, and not counted.</summary>
    public int Warmup { get; init; } = 2;

    /// <summary>Seeds the arrival gaps (the workload has its own seed).</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>Each request's deadline.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromMinutes(5);
}
