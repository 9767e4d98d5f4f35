using static TorchSharp.torch;

namespace Omni.ArStage.Engine;

/// <summary>
/// Every copy of engine results from the device to the host goes through here. On a GPU each one waits for the
/// device's queued kernels (a synchronisation), so the engine's budget is one per step for plain sampling: the
/// sampled ids; requests that ask for logprobs or hidden states add theirs. Counted per engine thread, so that a
/// test can hold the engine to that budget (<see cref="ArEngine.EngineThreadHostCopies"/>).
/// </summary>
internal static class HostCopies
{
    [ThreadStatic]
    private static long _count;

    /// <summary>Copies made on this thread so far.</summary>
    public static long ThreadCount => _count;

    public static T[] ToArray<T>(Tensor tensor)
        where T : unmanaged
    {
        _count++;
        using var host = tensor.cpu();
        return host.data<T>().ToArray();
    }
}
