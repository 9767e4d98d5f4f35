using Microsoft.Extensions.Logging;

namespace Omni.Common.Hosting;

/// <summary>A stage's engine warm-up before its ports open (<see cref="StageModelOptions.WarmUp"/>), logged.</summary>
public static class StageWarmUp
{
    /// <param name="warmUp">The engine's warm-up: short requests kept out of the metrics; returns how long it took.</param>
    public static void Run(StageModelOptions options, Func<TimeSpan> warmUp, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(warmUp);
        if (!options.WarmUp)
        {
            logger.LogInformation("Warm-up off: the first requests pay for the engine's first use");
            return;
        }

        logger.LogInformation("Warmed up in {Elapsed:F0} ms (short requests through the engine, not counted in the metrics)", warmUp().TotalMilliseconds);
    }
}
