using System.Diagnostics;
using Omni.ArStage.Model;
using Omni.Common.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace Omni.ArStage.Engine;

/// <summary>
/// Runs one engine step's batch through the model: builds the flattened batch from the scheduled chunks, runs the
/// forward pass over the paged KV pool, copies out the hidden rows the sequences want, and samples the sequences
/// that completed their known tokens. Every tensor of the step lives in one dispose scope.
/// </summary>
/// <remarks>With <paramref name="graphs"/>, steps that only decode run as replayed graphs (<see cref="DecodeGraphs"/>).</remarks>
internal sealed class ModelRunner(CausalLanguageModel model, KvBlockPool pool, Device device, bool batchInvariant, DecodeGraphs? graphs = null)
    : IDisposable
{
    /// <summary><see cref="Stopwatch"/> ticks spent packing steps' inputs (host arrays and their upload), all steps so far.</summary>
    public long PrepareTicks { get; private set; }

    public StepOutput Execute(IReadOnlyList<ScheduledSequence> batch)
    {
        using var inference = inference_mode();
        using var scope = NewDisposeScope();
        var started = Stopwatch.GetTimestamp();
        var chunks = batch.Select(s => new ScheduledChunk(s.Sequence.Tokens, s.Sequence.Computed, s.Count, s.Sequence.BlockTable,
            s.Sequence.PromptEmbeddings?.Data, s.Sequence.PromptEmbeddings?.Rows ?? 0)).ToArray();
        var sampling = Enumerable.Range(0, batch.Count)
            .Where(i => batch[i].Sequence.Computed + batch[i].Count == batch[i].Sequence.Tokens.Count && batch[i].Sequence.SamplesNext)
            .ToArray();
        var wanted = HiddenRowsWanted(batch);
        // The rows read after the forward pass travel with its inputs: no upload between its kernels and the sampler's.
        // When every row is sampled (a step that only decodes) the selection is every row in order: none is needed.
        var everyRowSampled = sampling.Length == chunks.Sum(chunk => chunk.Count);
        float[]?[] hiddenRows;
        Tensor? logits = null;
        if (graphs is not null && everyRowSampled && wanted.Rows.Count == 0 && graphs.TryLogits(chunks, out logits))
        {
            hiddenRows = new float[]?[batch.Count];
        }
        else
        {
            var forward = ForwardBatch.Create(chunks, pool.BlockSize, device, batchInvariant,
                [everyRowSampled ? [] : [.. sampling.Select(i => new ChunkRow(i, batch[i].Count - 1))], wanted.Rows]);
            PrepareTicks += Stopwatch.GetTimestamp() - started;
            var hidden = model.call(forward, pool);
            hiddenRows = CopyHiddenRows(hidden, forward.Selections[1], wanted, batch.Count);
            logits = sampling.Length == 0 ? null : model.Logits(everyRowSampled ? hidden : hidden.index_select(0, forward.Selections[0]!), batchInvariant);
        }

        var sampled = new int[batch.Count];
        Array.Fill(sampled, -1);
        var logprobs = new TokenLogprob?[batch.Count];
        if (logits is not null)
        {
            var result = BatchSampler.Sample(logits, sampling.Select(i => batch[i].Sequence).ToArray());
            for (var j = 0; j < sampling.Length; j++)
            {
                sampled[sampling[j]] = result.TokenIds[j];
                logprobs[sampling[j]] = result.Logprobs[j];
            }
        }

        // No device synchronisation here: the sampled tokens' copy to the host already waited for the step, and a step
        // that samples nothing (a prefill chunk) lets the host schedule the next one while the device still computes.
        return new StepOutput(hiddenRows, wanted.FirstPositions, sampled, logprobs);
    }

    /// <summary>Decode step shapes recorded as graphs, and steps served by replaying one.</summary>
    public (int Graphs, long Replays) GraphCounts => graphs is null ? (0, 0) : (graphs.Graphs, graphs.Replays);

    /// <summary>Why recording decode graphs failed (the steps then run eagerly), or null.</summary>
    public string? GraphFailure => graphs?.Failure;

    public void Dispose() => graphs?.Dispose();

    // The rows of the step each sequence wants hidden states of: positions already collected (being recomputed after a
    // preemption) are skipped.
    private static HiddenRowsPlan HiddenRowsWanted(IReadOnlyList<ScheduledSequence> batch)
    {
        var firstPositions = new int[batch.Count];
        var rows = new List<ChunkRow>();
        var spans = new List<(int Item, int Count)>();
        for (var i = 0; i < batch.Count; i++)
        {
            var (sequence, count) = batch[i];
            if (!sequence.WantsHiddenStates)
            {
                continue;
            }

            var first = Math.Max(sequence.Computed, sequence.HiddenRowsCollected);
            var end = sequence.Computed + count;
            firstPositions[i] = first;
            if (first >= end)
            {
                continue;
            }

            for (var position = first; position < end; position++)
            {
                rows.Add(new ChunkRow(i, position - sequence.Computed));
            }

            spans.Add((i, end - first));
        }

        return new HiddenRowsPlan(rows, spans, firstPositions);
    }

    // One gather and one device-to-host copy for every row wanted in the step.
    private static float[]?[] CopyHiddenRows(Tensor hidden, Tensor? indices, HiddenRowsPlan wanted, int count)
    {
        var rows = new float[]?[count];
        if (indices is null)
        {
            return rows;
        }

        var width = (int)hidden.shape[1];
        var data = HostCopies.ToArray<float>(hidden.index_select(0, indices).to(ScalarType.Float32));
        var offset = 0;
        foreach (var (item, rowCount) in wanted.Spans)
        {
            rows[item] = data.AsSpan(offset, rowCount * width).ToArray();
            offset += rowCount * width;
        }

        return rows;
    }

    private sealed record HiddenRowsPlan(List<ChunkRow> Rows, List<(int Item, int Count)> Spans, int[] FirstPositions);
}
