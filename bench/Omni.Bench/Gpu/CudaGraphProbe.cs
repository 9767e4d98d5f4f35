using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Omni.Common.Torch;
using static TorchSharp.torch;

namespace Omni.Bench.Gpu;

/// <summary>
/// Whether a step shaped like the AR engine's decode step (products, a KV write by index_copy_, a page gather by
/// index_select, masked scaled-dot-product attention, addmm with the residual, argmax) can be captured as a
/// <see cref="CudaGraph"/>, whether a replay gives the eager step's results for new inputs refilled in place, and the
/// step's time eager and replayed: the launch cost a graph saves. One RESULT line.
/// </summary>
internal static class CudaGraphProbe
{
    private const int Rows = 64;
    private const int Hidden = 256;
    private const int Heads = 4;
    private const int HeadDim = Hidden / Heads;
    private const int Length = 64;
    private const int Layers = 4;
    private const int Vocab = 4096;
    private const int Slots = Rows * Length;
    private const int Repeats = 50;

    public static string Run(Device device, string name)
    {
        if (CudaGraph.Unavailable(device) is { } reason)
        {
            return $"RESULT cudagraph device={name} available=False reason={reason}";
        }

        try
        {
            return Measure(device, name);
        }
        catch (Exception exception) when (exception is InvalidOperationException or NotSupportedException or ExternalException)
        {
            return $"RESULT cudagraph device={name} available=True captured=False error={exception.Message.ReplaceLineEndings(" ")}";
        }
    }

    private static string Measure(Device device, string name)
    {
        using var scope = NewDisposeScope();
        using var inference = inference_mode();
        var generator = new Generator(11);
        Tensor Random(params long[] shape) => randn(shape, generator: generator).div_(Math.Sqrt(shape[0])).to(device);
        var weights = Enumerable.Range(0, Layers).Select(_ => (Q: Random(Hidden, Hidden), K: Random(Hidden, Hidden), O: Random(Hidden, Hidden))).ToArray();
        var vocabulary = Random(Hidden, Vocab);
        // The step's inputs, refilled in place between replays.
        var hidden = Random(Rows, Hidden);
        var writeSlots = arange(Rows, dtype: ScalarType.Int64).mul_(Length).add_(Length - 1).to(device);
        var readSlots = arange(Slots, dtype: ScalarType.Int64).to(device);
        var mask = (arange(Length, dtype: ScalarType.Int64).view(1, 1, 1, Length) <= full([Rows, 1, 1, 1], Length - 1, ScalarType.Int64)).to(device);
        var cache = Random(Slots, Hidden);
        var snapshot = cache.clone();

        (Tensor Ids, Tensor Hidden) Step()
        {
            using var stepScope = NewDisposeScope();
            var h = hidden;
            foreach (var (q, k, o) in weights)
            {
                cache.index_copy_(0, writeSlots, h.mm(k));
                var keys = cache.index_select(0, readSlots).view(Rows, Length, Heads, HeadDim).permute(0, 2, 1, 3);
                var attended = nn.functional.scaled_dot_product_attention(h.mm(q).view(Rows, Heads, 1, HeadDim), keys, keys, mask);
                h = addmm(h, attended.reshape(Rows, Hidden), o, 1, 1).tanh_();
            }
            var ids = h.mm(vocabulary).argmax(-1);
            return (ids.MoveToOuterDisposeScope(), h.MoveToOuterDisposeScope());
        }

        Step();  // uncaptured first: what libtorch initialises lazily
        (Tensor Ids, Tensor Hidden)? recorded = null;
        using var graph = CudaGraph.Capture(device, () => recorded = Step());
        var captured = recorded!.Value;

        // New inputs: the eager step's results against the replay's, from the same cache.
        hidden.copy_(Random(Rows, Hidden));
        cache.copy_(snapshot);
        var eager = Step();
        cache.copy_(snapshot);
        graph.Replay();
        var sameIds = eager.Ids.eq(captured.Ids).all().item<bool>();
        var difference = (eager.Hidden - captured.Hidden).abs().max().item<float>();

        var eagerMicroseconds = Time(device, () => Step());
        var replayMicroseconds = Time(device, graph.Replay);
        return string.Create(CultureInfo.InvariantCulture,
            $"RESULT cudagraph device={name} available=True captured=True same_ids={sameIds} max_abs_diff={difference:E2} layers={Layers} rows={Rows} " +
            $"eager_us={eagerMicroseconds:F1} replay_us={replayMicroseconds:F1} speedup={eagerMicroseconds / replayMicroseconds:F1}x");
    }

    public static double Time(Device device, Action step)
    {
        cuda.synchronize(device);
        var started = Stopwatch.GetTimestamp();
        for (var i = 0; i < Repeats; i++)
        {
            using var scope = NewDisposeScope();
            step();
        }
        cuda.synchronize(device);
        return Stopwatch.GetElapsedTime(started).TotalMicroseconds / Repeats;
    }
}
