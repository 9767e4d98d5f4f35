using System.Diagnostics;
using static TorchSharp.torch;

namespace Omni.Common.Torch;

/// <summary>
/// Every copy of engine results from the device to the host goes through here. On a GPU each one waits for the
/// device's queued kernels (a synchronisation), so each engine has a budget per step: the AR engine one for plain
/// sampling (the sampled ids; logprobs and hidden states add theirs), the diffusion engine none while it denoises
/// (its copy is the finished image). Counted per thread, so that tests can hold the engines to those budgets, and
/// timed per thread, so that a benchmark can tell a step that waits for the device from one that waits for the host.
/// </summary>
public static class HostCopies
{
    [ThreadStatic]
    private static long _count;

    [ThreadStatic]
    private static long _ticks;

    /// <summary>Copies made on this thread so far.</summary>
    public static long ThreadCount => _count;

    /// <summary><see cref="Stopwatch"/> ticks this thread has spent in copies so far, waiting for the device included.</summary>
    public static long ThreadTicks => _ticks;

    public static T[] ToArray<T>(Tensor tensor)
        where T : unmanaged
    {
        _count++;
        var started = Stopwatch.GetTimestamp();
        try
        {
            using var host = tensor.cpu();
            return host.data<T>().ToArray();
        }
        finally
        {
            _ticks += Stopwatch.GetTimestamp() - started;
        }
    }
}
