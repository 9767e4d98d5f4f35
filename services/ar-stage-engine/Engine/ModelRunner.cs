using Omni.ArStage.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Omni.ArStage.Engine;

/// <summary>
/// Runs one engine step's batch through the model: builds the flattened batch from the scheduled chunks, runs the
/// forward pass over the paged KV pool, copies out the hidden rows the sequences want, and samples the sequences
/// that completed their known tokens. Every tensor of the step lives in one dispose scope.
/// </summary>
internal sealed class ModelRunner(CausalLanguageModel model, KvBlockPool pool, Device device, bool batchInvariant)
{
    public StepOutput Execute(IReadOnlyList<ScheduledSequence> batch)
    {
        using var inference = inference_mode();
        using var scope = NewDisposeScope();
        var chunks = batch.Select(s => new ScheduledChunk(s.Sequence.Tokens, s.Sequence.Computed, s.Count, s.Sequence.BlockTable,
            s.Sequence.PromptEmbeddings?.Data, s.Sequence.PromptEmbeddings?.Rows ?? 0)).ToArray();
        var forward = ForwardBatch.Create(chunks, pool.BlockSize, device, batchInvariant);
        var hidden = model.call(forward, pool);

        var (hiddenRows, firstPositions) = CopyHiddenRows(hidden, batch, forward.RowStarts);

        var sampled = new int[batch.Count];
        Array.Fill(sampled, -1);
        var logprobs = new TokenLogprob?[batch.Count];
        var sampling = Enumerable.Range(0, batch.Count)
            .Where(i => batch[i].Sequence.Computed + batch[i].Count == batch[i].Sequence.Tokens.Count && batch[i].Sequence.SamplesNext)
            .ToArray();
        if (sampling.Length > 0)
        {
            var lastRows = tensor(sampling.Select(i => (long)(forward.RowStarts[i] + batch[i].Count - 1)).ToArray(), device: device);
            var logits = model.Logits(hidden.index_select(0, lastRows), batchInvariant);
            var result = BatchSampler.Sample(logits, sampling.Select(i => batch[i].Sequence).ToArray());
            for (var j = 0; j < sampling.Length; j++)
            {
                sampled[sampling[j]] = result.TokenIds[j];
                logprobs[sampling[j]] = result.Logprobs[j];
            }
        }

        if (device.type == DeviceType.CUDA)
        {
            cuda.synchronize(device);
        }

        return new StepOutput(hiddenRows, firstPositions, sampled, logprobs);
    }

    // One gather and one device-to-host copy for every row wanted in the step; positions already collected (being
    // recomputed after a preemption) are skipped.
    private (float[]?[] Rows, int[] FirstPositions) CopyHiddenRows(Tensor hidden, IReadOnlyList<ScheduledSequence> batch, IReadOnlyList<int> rowStarts)
    {
        var rows = new float[]?[batch.Count];
        var firstPositions = new int[batch.Count];
        var indices = new List<long>();
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
                indices.Add(rowStarts[i] + position - sequence.Computed);
            }

            spans.Add((i, end - first));
        }

        if (indices.Count == 0)
        {
            return (rows, firstPositions);
        }

        var width = (int)hidden.shape[1];
        var data = HostCopies.ToArray<float>(hidden.index_select(0, tensor(indices.ToArray(), device: device)).to(ScalarType.Float32));
        var offset = 0;
        foreach (var (item, count) in spans)
        {
            rows[item] = data.AsSpan(offset, count * width).ToArray();
            offset += count * width;
        }

        return (rows, firstPositions);
    }
}
