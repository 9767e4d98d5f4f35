using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace Omni.Common.Torch;

/// <summary>
/// A CUDA graph of TorchSharp operations: captured once, then launched whole by <see cref="Replay"/>, one host call
/// instead of one per kernel. TorchSharp 0.107 has no CUDA graphs; this goes through libtorch's own
/// at::cuda::CUDAGraph by way of the native shim <c>libomni_cuda_graphs.so</c> (native/cuda-graphs, built by
/// <c>scripts/gpu-check.sh bundle</c>), so the captured tensors live in the caching allocator's private pool as with
/// torch.cuda.graph. A replay reads the captured inputs' memory and writes the captured outputs': refill the inputs in
/// place (<c>copy_</c>) and keep every tensor the graph reads or writes alive while it lives.
/// </summary>
public sealed class CudaGraph : IStepGraph
{
    private const string Library = "omni_cuda_graphs";

    private nint _graph;

    private CudaGraph(nint graph)
    {
        _graph = graph;
    }

    /// <summary>Null when graphs can be captured on <paramref name="device"/>, else why not.</summary>
    public static string? Unavailable(Device device)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (device.type != TorchSharp.DeviceType.CUDA)
        {
            return $"{device} is not a CUDA device";
        }

        try
        {
            return Native.omni_cuda_graphs_unavailable() is var error and not 0 ? Marshal.PtrToStringUTF8(error) : null;
        }
        catch (DllNotFoundException)
        {
            return $"lib{Library}.so is not beside the application (scripts/gpu-check.sh bundle builds it from native/cuda-graphs)";
        }
    }

    /// <summary>
    /// A memory pool for graphs to share (at::cuda::graph_pool_handle): their captured tensors then reuse one another's
    /// memory, which is safe for graphs replayed one at a time, each one's outputs read before the next replay.
    /// </summary>
    public static CudaGraphPool NewPool(Device device)
    {
        if (Unavailable(device) is { } reason)
        {
            throw new NotSupportedException($"CUDA graphs are unavailable: {reason}.");
        }

        Check(Native.omni_cuda_graph_pool(out var first, out var second), "making a graph memory pool");
        return new CudaGraphPool(first, second);
    }

    /// <summary>
    /// Records what <paramref name="body"/> issues on <paramref name="device"/> (on a side stream of this thread) into a
    /// new graph; nothing runs until <see cref="Replay"/>. Run the body once before, uncaptured, so that what libtorch
    /// initialises lazily (library handles, workspaces) is not initialised during the capture. The body must not copy to
    /// the host or otherwise wait for the device.
    /// </summary>
    /// <param name="pool">A pool from <see cref="NewPool"/>; the default: the graph's own.</param>
    public static CudaGraph Capture(Device device, Action body, CudaGraphPool pool = default)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (Unavailable(device) is { } reason)
        {
            throw new NotSupportedException($"CUDA graphs are unavailable: {reason}.");
        }

        Check(Native.omni_cuda_graph_create(out var handle), "creating a CUDA graph");
        var graph = new CudaGraph(handle);
        try
        {
            cuda.synchronize(device);
            Check(Native.omni_cuda_graph_capture_begin(handle, device.index < 0 ? 0 : device.index, pool.First, pool.Second), "beginning the capture");
            try
            {
                body();
            }
            catch
            {
                // End the capture (it fails: the graph is discarded) so that the thread's stream is restored.
                _ = Native.omni_cuda_graph_capture_end(handle);
                throw;
            }

            Check(Native.omni_cuda_graph_capture_end(handle), "ending the capture");
            return graph;
        }
        catch
        {
            graph.Dispose();
            throw;
        }
    }

    /// <summary>Launches the captured work on this thread's current stream (asynchronously, as any kernel launch).</summary>
    public void Replay()
    {
        ObjectDisposedException.ThrowIf(_graph == 0, this);
        Check(Native.omni_cuda_graph_replay(_graph), "replaying the CUDA graph");
    }

    public void Dispose()
    {
        if (_graph != 0)
        {
            Native.omni_cuda_graph_destroy(_graph);
            _graph = 0;
        }
    }

    private static void Check(nint error, string doing)
    {
        if (error != 0)
        {
            throw new InvalidOperationException($"libtorch failed {doing}: {Marshal.PtrToStringUTF8(error)}");
        }
    }

    private static class Native
    {
        [DllImport(Library)]
        public static extern nint omni_cuda_graphs_unavailable();

        [DllImport(Library)]
        public static extern nint omni_cuda_graph_create(out nint graph);

        [DllImport(Library)]
        public static extern nint omni_cuda_graph_pool(out ulong first, out ulong second);

        [DllImport(Library)]
        public static extern nint omni_cuda_graph_capture_begin(nint graph, int device, ulong poolFirst, ulong poolSecond);

        [DllImport(Library)]
        public static extern nint omni_cuda_graph_capture_end(nint graph);

        [DllImport(Library)]
        public static extern nint omni_cuda_graph_replay(nint graph);

        [DllImport(Library)]
        public static extern void omni_cuda_graph_destroy(nint graph);
    }
}
