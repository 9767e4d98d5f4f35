using System.Globalization;
using System.Runtime.InteropServices;
using Omni.ArStage.Model;
using Omni.Bench.Ar;
using Omni.Common.Torch;
using static TorchSharp.torch;

namespace Omni.Bench.Gpu;

/// <summary>
/// The default AR model's decode step (the forward pass of one token per sequence and the logits, without batch
/// invariance: fused projections, one-row tiles, keys beside values, as the engine runs on CUDA) captured as a
/// <see cref="CudaGraph"/> over fixed inputs, replayed, and timed against the same step run eagerly: what a decode step
/// would cost with graphs, against issue 16's goal (under 0.5 ms at batch 64). One RESULT line per batch size.
/// </summary>
internal static class ModelStepGraphProbe
{
    private const int Keys = 64;
    private const int Repeats = 50;

    public static IEnumerable<string> Run(Device device, string name, string? cacheDirectory, IReadOnlyList<int> batches)
    {
        if (CudaGraph.Unavailable(device) is { } reason)
        {
            yield return $"RESULT cudagraph_model device={name} available=False reason={reason}";
            yield break;
        }

        using var model = CheckpointLoader.Load(BenchModels.Directory(BenchModels.Default, cacheDirectory), device);
        model.FuseProjections();
        foreach (var rows in batches)
        {
            string line;
            try
            {
                line = Measure(model, device, name, rows);
            }
            catch (Exception exception) when (exception is InvalidOperationException or NotSupportedException or ExternalException)
            {
                line = $"RESULT cudagraph_model device={name} rows={rows} captured=False error={exception.Message.ReplaceLineEndings(" ")}";
            }
            yield return line;
        }
    }

    private static string Measure(CausalLanguageModel model, Device device, string name, int rows)
    {
        using var scope = NewDisposeScope();
        using var inference = inference_mode();
        const int blockSize = 16;
        var blocksPerSequence = Keys / blockSize;
        using var pool = new KvBlockPool(model.Config, rows * blocksPerSequence, blockSize, model.DType, device, keysBesideValues: true);
        var chunks = Enumerable.Range(0, rows)
            .Select(i => new ScheduledChunk(Enumerable.Range(0, Keys).Select(p => (i * 31 + p * 7) % model.Config.VocabSize).ToList(), Keys - 1, 1,
                Enumerable.Range(i * blocksPerSequence, blocksPerSequence).ToList()))
            .ToArray();
        var batch = ForwardBatch.Create(chunks, blockSize, device, batchInvariant: false, selections: [[], []]);

        Tensor Step()
        {
            using var stepScope = NewDisposeScope();
            return model.Logits(model.call(batch, pool), batchInvariant: false).MoveToOuterDisposeScope();
        }

        Step();  // uncaptured first: the rotary table, the norms' constants, what libtorch initialises lazily
        Tensor? recorded = null;
        using var graph = CudaGraph.Capture(device, () => recorded = Step());
        var captured = recorded!;
        var eager = Step();
        graph.Replay();
        var sameArgmax = eager.argmax(-1).eq(captured.argmax(-1)).all().item<bool>();
        var difference = (eager - captured).abs().max().item<float>();

        var eagerMicroseconds = CudaGraphProbe.Time(device, () => Step());
        var replayMicroseconds = CudaGraphProbe.Time(device, graph.Replay);
        return string.Create(CultureInfo.InvariantCulture,
            $"RESULT cudagraph_model device={name} model=default rows={rows} keys={Keys} captured=True same_argmax={sameArgmax} " +
            $"max_abs_diff={difference:E2} eager_us={eagerMicroseconds:F1} replay_us={replayMicroseconds:F1} speedup={eagerMicroseconds / replayMicroseconds:F1}x");
    }
}
