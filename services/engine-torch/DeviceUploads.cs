using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Omni.Common.Torch;

/// <summary>
/// Every copy of step inputs from the host to the device goes through here. On CUDA a copy from pageable memory waits
/// for the kernels already queued (a synchronisation), so each array is staged in pinned memory and copied without
/// blocking: the engine can queue a step's kernels ahead of the GPU. Counted per thread, so that tests can hold a step
/// to its budget (<see cref="ForwardBatch"/> uploads its inputs as one array).
/// </summary>
public static class DeviceUploads
{
    [ThreadStatic]
    private static long _count;

    private static volatile bool _pinningFailed;

    /// <summary>Uploads made on this thread so far.</summary>
    public static long ThreadCount => _count;

    /// <summary>False once pinning host memory failed (then uploads copy from pageable memory, as a plain <c>to</c> does).</summary>
    public static bool Pinning => !_pinningFailed;

    public static Tensor Upload(long[] values, Device device) => Upload(tensor(values), device);

    public static Tensor Upload(long[] values, long[] shape, Device device) => Upload(tensor(values, shape), device);

    public static Tensor Upload(float[] values, long[] shape, Device device) => Upload(tensor(values, shape), device);

    public static Tensor Upload(double[] values, long[] shape, Device device) => Upload(tensor(values, shape), device);

    /// <summary>A host tensor on <paramref name="device"/>; the tensor itself when that is the CPU, else a copy (<paramref name="host"/> is disposed).</summary>
    public static Tensor Upload(Tensor host, Device device)
    {
        ArgumentNullException.ThrowIfNull(host);
        _count++;
        if (device.type == DeviceType.CPU)
        {
            return host;
        }
        using (host)
        {
            return ThroughPinned(host, pinned => pinned.to(device, non_blocking: true)) ?? host.to(device);
        }
    }

    /// <summary>
    /// Copies <paramref name="values"/> into <paramref name="target"/> (int64, as many elements, on any device) in
    /// place, as <see cref="Upload(Tensor, Device)"/> would upload them: a buffer whose memory must stay where it is
    /// (a CUDA graph's static input) takes a step's new values.
    /// </summary>
    public static void CopyInto(Tensor target, long[] values)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(values);
        _count++;
        using var host = tensor(values);
        if (target.device_type == DeviceType.CPU || ThroughPinned(host, pinned => target.copy_(pinned, nonBlocking: true)) is null)
        {
            target.copy_(host);
        }
    }

    // send applied to a pinned copy of host (a non-blocking transfer), or null where this libtorch cannot pin (no CUDA
    // host allocator): the caller then transfers from pageable memory, slower and with the same results.
    private static Tensor? ThroughPinned(Tensor host, Func<Tensor, Tensor> send)
    {
        if (_pinningFailed)
        {
            return null;
        }
        try
        {
            using var pinned = host.pin_memory();
            return send(pinned);
        }
        catch (ExternalException)
        {
            _pinningFailed = true;
            return null;
        }
    }
}
