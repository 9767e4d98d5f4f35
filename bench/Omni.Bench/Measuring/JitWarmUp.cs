using System.Diagnostics;
using System.Runtime;

namespace Omni.Bench.Measuring;

/// <summary>
/// Warm-up that lasts until the code measured is the code a long-running process runs. Tiered compilation first
/// compiles a method quickly, then, after it has been called often enough and a delay with no new compilations,
/// instruments it and compiles it again optimised on a background thread: for a second or two after the first
/// requests the engine's host code runs partly unoptimised, in bursts of recompilation (measured: the AR engine's
/// 64-way round recompiled 0 to 357 methods in each of its first eleven rounds, and packing a step's inputs took
/// twice as long before). One warm-up round is therefore not enough: rounds repeat until the process has compiled
/// no method for <paramref name="quiet"/>, or for <paramref name="limit"/> in all.
/// </summary>
internal static class JitWarmUp
{
    /// <summary>Runs <paramref name="round"/> at least once, then again until <paramref name="quiet"/> has passed with no
    /// method compiled, or <paramref name="limit"/> since the start. Returns the rounds run and whether it became quiet.</summary>
    public static (int Rounds, bool Quiet) Run(Action round, TimeSpan quiet, TimeSpan limit)
    {
        ArgumentNullException.ThrowIfNull(round);
        var compiled = JitInfo.GetCompiledMethodCount();
        var started = Stopwatch.GetTimestamp();
        var quietSince = started;
        for (var rounds = 1; ; rounds++)
        {
            round();
            var now = JitInfo.GetCompiledMethodCount();
            if (now != compiled)
            {
                (compiled, quietSince) = (now, Stopwatch.GetTimestamp());
            }
            else if (Stopwatch.GetElapsedTime(quietSince) >= quiet)
            {
                return (rounds, true);
            }
            if (Stopwatch.GetElapsedTime(started) >= limit)
            {
                return (rounds, false);
            }
        }
    }
}
