using System.Diagnostics;
using Omni.ArStage.Model;

namespace Omni.ArStage.Engine;

/// <summary>
/// One request inside the engine: its tokens (prompt, then generated), how many of them have keys/values in the KV
/// pool, its block table, its sampling state and its timing. Touched only by the engine thread after submission.
/// </summary>
internal sealed class Sequence
{
    private readonly List<float[]> _hiddenRows = [];
    private readonly int _hiddenWidth;

    public Sequence(GenerationRequest request, int[] promptIds, TextStream text, int hiddenWidth, Action<GeneratedToken>? onToken,
        CancellationToken cancellationToken)
    {
        Request = request;
        Tokens = [.. promptIds];
        PromptLength = promptIds.Length;
        Text = text;
        _hiddenWidth = hiddenWidth;
        OnToken = onToken;
        CancellationToken = cancellationToken;
        Random = request.Temperature > 0 ? new SplitMix64(request.Seed ?? (ulong)System.Random.Shared.NextInt64(long.MinValue, long.MaxValue)) : null;
        Arrival = Stopwatch.GetTimestamp();
    }

    public GenerationRequest Request { get; }

    /// <summary>Prompt ids, then every generated id.</summary>
    public List<int> Tokens { get; }

    public int PromptLength { get; }

    /// <summary>The prompt's embeddings, when it was given as embeddings (its token ids are then zeros that nothing reads).</summary>
    public PromptEmbeddings? PromptEmbeddings => Request.PromptEmbeddings;

    /// <summary>Token ids the prompt really has: none for an embedding prompt.</summary>
    public IEnumerable<int> PromptTokens => PromptEmbeddings is null ? Tokens.Take(PromptLength) : [];

    public int OutputTokens => Tokens.Count - PromptLength;

    /// <summary>Leading tokens whose keys/values are in the KV pool.</summary>
    public int Computed { get; set; }

    /// <summary>Tokens still to run through the model before the next sample (or the end).</summary>
    public int Remaining => Tokens.Count - Computed;

    public List<int> BlockTable { get; } = [];

    /// <summary>Chain hashes of the sequence's full blocks, computed so far (valid as long as the tokens do not change).</summary>
    public List<ulong> BlockHashes { get; } = [];

    /// <summary>Full blocks already offered to the prefix cache.</summary>
    public int CommittedBlocks { get; set; }

    public int CachedPromptTokens { get; set; }

    public TextStream Text { get; }

    /// <summary>The request's own random stream (null for greedy requests).</summary>
    public SplitMix64? Random { get; }

    public Action<GeneratedToken>? OnToken { get; }

    public CancellationToken CancellationToken { get; }

    public CancellationTokenRegistration Registration { get; set; }

    public TaskCompletionSource<GenerationResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Runs once when the sequence ends in any way, before its task completes (the engine's admission slot).</summary>
    public Action? OnEnded { get; set; }

    private int _ended;

    public void Succeed(GenerationResult result)
    {
        End();
        Completion.TrySetResult(result);
    }

    public void Fail(Exception exception)
    {
        End();
        Completion.TrySetException(exception);
    }

    public void Cancel()
    {
        End();
        Completion.TrySetCanceled(CancellationToken);
    }

    private void End()
    {
        if (Interlocked.Exchange(ref _ended, 1) == 0)
        {
            OnEnded?.Invoke();
        }
    }

    /// <summary>Text generation ended; the last sampled token still runs through the model for its hidden state.</summary>
    public FinishReason? PendingFinish { get; set; }

    /// <summary>The prompt's first prefill has completed (its tokens are counted once, even after a preemption).</summary>
    public bool PrefillCounted { get; set; }

    public bool WantsHiddenStates => Request.ReturnHiddenStates;

    /// <summary>Positions whose hidden state has been collected (a recomputation after preemption skips them).</summary>
    public int HiddenRowsCollected { get; private set; }

    public int MaxNewTokens => Request.GenerateText ? Request.MaxTokens : 0;

    /// <summary>Whether the step that computes the last known token samples a new one.</summary>
    public bool SamplesNext => PendingFinish is null && MaxNewTokens > 0;

    public long Arrival { get; }

    public long? FirstScheduled { get; set; }

    public long? FirstToken { get; set; }

    public long? LastToken { get; set; }

    public long? PrefillDone { get; set; }

    /// <summary>Adds the hidden rows of positions [<paramref name="firstPosition"/>, +rows) (row-major, float32).</summary>
    public void AddHiddenRows(int firstPosition, float[] rows)
    {
        if (firstPosition != HiddenRowsCollected)
        {
            throw new InvalidOperationException($"Hidden rows must arrive in order: expected position {HiddenRowsCollected}, got {firstPosition}.");
        }

        _hiddenRows.Add(rows);
        HiddenRowsCollected += rows.Length / _hiddenWidth;
    }

    public HiddenStates? CollectHiddenStates()
    {
        if (!WantsHiddenStates)
        {
            return null;
        }

        var data = new float[HiddenRowsCollected * _hiddenWidth];
        var offset = 0;
        foreach (var rows in _hiddenRows)
        {
            rows.CopyTo(data, offset);
            offset += rows.Length;
        }

        return new HiddenStates(data, HiddenRowsCollected, _hiddenWidth);
    }

    /// <summary>Forgets the KV pool state (after preemption): everything is recomputed on readmission.</summary>
    public void ResetComputation()
    {
        BlockTable.Clear();
        Computed = 0;
        CommittedBlocks = 0;
    }
}
