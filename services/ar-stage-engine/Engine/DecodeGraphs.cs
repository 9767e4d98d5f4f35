using Omni.ArStage.Model;
using Omni.Common.Torch;
using static TorchSharp.torch;

namespace Omni.ArStage.Engine;

/// <summary>
/// Decode steps as replayed step graphs (on CUDA, <see cref="CudaGraph"/>: vLLM's full decode graphs): a step whose
/// every row decodes one token to sample, and wants nothing else of the step, runs as one graph per padded row count
/// (1, 2, 4, then multiples of 8) and attention length (the step's one group, 16 positions at a time), recorded the
/// first time that shape comes after the step ran uncaptured, and replayed after one copy of the step's staged
/// index arrays into the graph's input buffer. The forward pass and the logits run inside the graph (the mask and
/// every view are made from the buffer there); the logits land in one buffer every graph shares, which the eager
/// sampler reads before the next step. Padding rows decode token 0 at position 0 into a KV block the block manager
/// never hands out. Other steps (prefill, hidden states wanted) run eagerly, as do new shapes once
/// <see cref="MaxGraphs"/> are recorded. Each new graph is replayed once and checked against the uncaptured step
/// before it serves; a graph that fails the check turns the graphs off, as a failed recording does.
/// </summary>
internal sealed class DecodeGraphs : IDisposable
{
    /// <summary>Shapes recorded at most; a new shape past it runs eagerly.</summary>
    public const int MaxGraphs = 512;

    /// <summary>How far a new graph's logits may be from the uncaptured step's, relative to the largest logit.</summary>
    public const float VerifyTolerance = 1e-2f;

    private static readonly int[] PaddingToken = [0];

    private readonly CausalLanguageModel _model;
    private readonly KvBlockPool _pool;
    private readonly Device _device;
    private readonly Func<Action, IStepGraph> _capture;
    private readonly int _maxRows;
    private readonly int[] _scratchBlock;
    private readonly Dictionary<(int Rows, int Values), Entry> _graphs = [];
    private readonly Tensor _logits;

    /// <param name="capture">Records a step's work (on CUDA, <see cref="CudaGraph.Capture"/> into one shared pool).</param>
    /// <param name="scratchBlock">A KV block no sequence is given: the padding rows' keys and values go there.</param>
    public DecodeGraphs(CausalLanguageModel model, KvBlockPool pool, Device device, Func<Action, IStepGraph> capture, int maxRows, int scratchBlock)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(scratchBlock);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(scratchBlock, pool.NumBlocks);
        (_model, _pool, _device, _capture, _maxRows) = (model, pool, device, capture, maxRows);
        _scratchBlock = [scratchBlock];
        _logits = zeros([PaddedRows(maxRows), model.Config.VocabSize], ScalarType.Float32, device).DetachFromDisposeScope();
    }

    /// <summary>Shapes recorded so far.</summary>
    public int Graphs => _graphs.Count;

    /// <summary>Steps served by a replay (not counting each shape's first, which ran uncaptured).</summary>
    public long Replays { get; private set; }

    /// <summary>Why recording failed, after which every step runs eagerly; null while it has not.</summary>
    public string? Failure { get; private set; }

    /// <summary>The rows a step of <paramref name="rows"/> rows computes: 1, 2, 4, then the next multiple of 8.</summary>
    public static int PaddedRows(int rows) => rows <= 2 ? rows : rows <= 4 ? 4 : (rows + 7) / 8 * 8;

    /// <summary>
    /// The logits [rows, vocab] of a step of <paramref name="chunks"/> that only decode, every row sampled, or false
    /// (run the step eagerly). The logits are a view of a buffer the next step overwrites.
    /// </summary>
    public bool TryLogits(IReadOnlyList<ScheduledChunk> chunks, out Tensor? logits)
    {
        logits = null;
        var rows = chunks.Count;
        if (Failure is not null || rows > _maxRows || chunks.Any(chunk => chunk.Count != 1 || chunk.Start < chunk.EmbeddingRows))
        {
            return false;
        }

        var padded = PaddedRows(rows);
        var padding = new ScheduledChunk(PaddingToken, 0, 1, _scratchBlock);
        IReadOnlyList<ScheduledChunk> all = padded == rows ? chunks : [.. chunks, .. Enumerable.Repeat(padding, padded - rows)];
        var inputs = ForwardBatch.Stage(all, _pool.BlockSize, padForCpu: false, batchInvariant: false);
        // The staged arrays' length tells the attention length apart for a given row count.
        var key = (padded, inputs.Values.Length);
        if (_graphs.TryGetValue(key, out var entry))
        {
            DeviceUploads.CopyInto(entry.Inputs, inputs.Values);
            entry.Graph.Replay();
            Replays++;
        }
        else if (_graphs.Count < MaxGraphs)
        {
            if (Record(inputs, padded) is { } recorded)
            {
                _graphs[key] = recorded;
            }
        }
        else
        {
            return false;
        }

        logits = _logits.narrow(0, 0, rows);
        return true;
    }

    // Runs the step uncaptured (its logits are this step's), then records it over the same input buffer. A recording
    // that fails (an operation a graph cannot hold) turns the graphs off: this step's logits stand, later steps run eagerly.
    private Entry? Record(ForwardBatch.HostInputs inputs, int padded)
    {
        var buffer = DeviceUploads.Upload(inputs.Values, _device).DetachFromDisposeScope();
        var output = _logits.narrow(0, 0, padded).DetachFromDisposeScope();
        void Step()
        {
            using var scope = NewDisposeScope();
            output.copy_(_model.Logits(_model.call(inputs.Bind(buffer), _pool), batchInvariant: false));
        }

        try
        {
            Step();
        }
        catch
        {
            buffer.Dispose();
            output.Dispose();
            throw;
        }

        try
        {
            var graph = _capture(Step);
            if (Verify(graph, output) is { } mismatch)
            {
                graph.Dispose();
                throw new InvalidOperationException(mismatch);
            }

            return new Entry(graph, buffer, output);
        }
        catch (Exception exception) when (exception is InvalidOperationException or NotSupportedException or System.Runtime.InteropServices.ExternalException)
        {
            Failure = exception.Message;
            buffer.Dispose();
            output.Dispose();
            return null;
        }
    }

    // Replays a new graph once over the inputs it was recorded with and compares its logits with the uncaptured step's
    // (one host copy, once per shape): a graph that writes nothing, or other values than the step it recorded (an
    // operation that read a host value at capture, a buffer not refilled), is caught before it serves a step. The
    // bound leaves room for kernels chosen differently under capture, far below what a broken graph gives. On a
    // mismatch the output holds the uncaptured step's logits again, for this step's sampler.
    private static string? Verify(IStepGraph graph, Tensor output)
    {
        using var scope = NewDisposeScope();
        var expected = output.clone();
        output.zero_();
        graph.Replay();
        var measured = HostCopies.ToArray<float>(stack([(output - expected).abs().max(), expected.abs().max()]));
        var (difference, largest) = (measured[0], measured[1]);
        if (difference <= VerifyTolerance * Math.Max(1f, largest))
        {
            return null;
        }

        output.copy_(expected);
        return $"the replayed step's logits differ from the uncaptured step's by up to {difference:G3} (largest logit {largest:G3})";
    }

    public void Dispose()
    {
        foreach (var entry in _graphs.Values)
        {
            entry.Dispose();
        }
        _graphs.Clear();
        _logits.Dispose();
    }

    private sealed record Entry(IStepGraph Graph, Tensor Inputs, Tensor Output) : IDisposable
    {
        public void Dispose()
        {
            Graph.Dispose();
            Inputs.Dispose();
            Output.Dispose();
        }
    }
}
