using Omni.ArStage.Engine;
using Omni.ArStage.Tests.Support;
using Omni.Common.Engine;

namespace Omni.ArStage.Tests;

/// <summary>Many requests sharing the engine loop: batched steps give every request what it gets alone.</summary>
public sealed class ContinuousBatchingTests
{
    private static readonly string[] Prompts =
    [
        "Hello, world!",
        "The quick brown fox jumps over the lazy dog",
        "A",
        "Once upon a time, in a land far away, there lived a dragon who loved to read books about the sea.",
        "1 2 3 4 5",
        "To be or not to be",
        "Paged attention stores keys and values in blocks",
        "Omni",
    ];

    [Fact]
    public void GenerateAsync_GreedyRequestsTogether_SameTokensAsEachAlone()
    {
        var observer = new RecordingObserver();
        using var engine = TestEngines.Qwen2Tiny(observer: observer);
        var requests = Prompts.Select((p, i) => new GenerationRequest(p) { Temperature = 0, MaxTokens = 10 + i }).ToArray();

        var alone = TestEngines.RunAlone(engine, requests);
        var (together, results) = TestEngines.RunTogether(engine, requests);

        for (var i = 0; i < requests.Length; i++)
        {
            Assert.Equal(alone[i], together[i]);
            Assert.Equal(FinishReason.Length, results[i].FinishReason);
        }

        Assert.Contains(observer.Steps, step => step.Sequences >= 4);
    }

    [Fact]
    public void GenerateAsync_SeededSamplingRequestsTogether_SameTokensAsEachAlone()
    {
        using var engine = TestEngines.Qwen2Tiny();
        var requests = Prompts.Select((p, i) => new GenerationRequest(p)
        {
            Temperature = 0.8f + 0.1f * (i % 3),
            TopK = i % 2 == 0 ? 50 : 0,
            TopP = i % 3 == 0 ? 0.9f : 1f,
            MinP = i % 4 == 0 ? 0.05f : 0f,
            Seed = (ulong)(100 + i),
            MaxTokens = 12,
        }).ToArray();

        var alone = TestEngines.RunAlone(engine, requests);
        var (together, _) = TestEngines.RunTogether(engine, requests);

        Assert.Equal(alone, together);
    }

    [Fact]
    public void GenerateAsync_LongPromptWithSmallTokenBudget_PrefillsInChunksWithSameTokens()
    {
        var observer = new RecordingObserver();
        using var engine = TestEngines.Qwen2Tiny(o => o with { MaxNumBatchedTokens = 8 }, observer);
        using var reference = TestEngines.Qwen2Tiny();
        var request = new GenerationRequest(Prompts[3]) { Temperature = 0, MaxTokens = 8, ReturnHiddenStates = true };

        var chunked = TestEngines.RunTogether(engine, [request, request with { Prompt = Prompts[1] }]);
        var whole = TestEngines.RunTogether(reference, [request, request with { Prompt = Prompts[1] }]);

        Assert.Equal(whole.Ids, chunked.Ids);
        Assert.All(observer.Steps, step => Assert.InRange(step.ScheduledTokens, 1, 8));
        Assert.True(observer.Steps.Count(step => step.GenerationTokens == 0) >= 2, "the prompt took several steps");
        var expected = whole.Results[0].HiddenStates!.Data;
        var actual = chunked.Results[0].HiddenStates!.Data;
        Assert.Equal(expected.Length, actual.Length);
        Assert.True(expected.Zip(actual).Max(pair => Math.Abs(pair.First - pair.Second)) < 1e-4);
    }

    [Fact]
    public void GenerateAsync_MaxNumSeqsTwo_AtMostTwoSequencesPerStepAndAllFinish()
    {
        var observer = new RecordingObserver();
        using var engine = TestEngines.Qwen2Tiny(o => o with { MaxNumSeqs = 2 }, observer);
        var requests = Prompts.Take(5).Select(p => new GenerationRequest(p) { Temperature = 0, MaxTokens = 6 }).ToArray();

        var (ids, results) = TestEngines.RunTogether(engine, requests);

        Assert.All(ids, tokens => Assert.Equal(6, tokens.Count));
        Assert.All(observer.Steps, step => Assert.InRange(step.Sequences, 1, 2));
        Assert.Contains(observer.States, state => state.Waiting > 0);
        Assert.Equal(5, results.Length);
    }

    [Fact]
    public async Task GenerateAsync_OneRequestCancelledMidway_DroppedWithinOneStepOthersFinish()
    {
        var observer = new RecordingObserver();
        using var engine = TestEngines.Qwen2Tiny(observer: observer);
        using var cancellation = new CancellationTokenSource();
        var seen = 0;
        var cancelled = engine.GenerateAsync(new GenerationRequest(Prompts[0]) { Temperature = 0, MaxTokens = 200 }, _ =>
        {
            if (++seen == 3)
            {
                cancellation.Cancel();
            }
        }, cancellation.Token);
        var other = engine.GenerateAsync(new GenerationRequest(Prompts[1]) { Temperature = 0, MaxTokens = 30 }, null, CancellationToken.None);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        var result = await other;

        Assert.Equal(3, seen);
        Assert.Equal(30, result.CompletionTokens);
        Assert.Contains(observer.Finished, r => r.FinishReason == FinishReason.Abort && r.GenerationTokens == 3);
        Assert.Equal(default, observer.WaitForIdle());
    }

    [Fact]
    public async Task GenerateAsync_CancelledWhileWaiting_CancelledWithoutRunning()
    {
        var observer = new RecordingObserver();
        using var engine = TestEngines.Qwen2Tiny(o => o with { MaxNumSeqs = 1 }, observer);
        using var cancellation = new CancellationTokenSource();
        var started = new ManualResetEventSlim();
        var running = engine.GenerateAsync(new GenerationRequest(Prompts[0]) { Temperature = 0, MaxTokens = 40 }, _ => started.Set(), CancellationToken.None);
        started.Wait(TimeSpan.FromSeconds(30));
        var waitingTokens = 0;
        var waiting = engine.GenerateAsync(new GenerationRequest(Prompts[1]) { MaxTokens = 5 }, _ => waitingTokens++, cancellation.Token);

        cancellation.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(40, (await running).CompletionTokens);
        Assert.Equal(0, waitingTokens);
        Assert.Contains(observer.Finished, r => r.FinishReason == FinishReason.Abort && r.QueueTime is null);
    }

    [Fact]
    public async Task GenerateAsync_BurstOfSixteen_AdmitsRunningPlusWaitingAndRefusesTheRest()
    {
        using var engine = TestEngines.Qwen2Tiny(o => o with { MaxNumSeqs = 2, MaxWaiting = 2 });
        using var cancellation = new CancellationTokenSource();

        var (accepted, refused) = Burst(engine, 16, cancellation.Token);
        await cancellation.CancelAsync();

        Assert.Equal((4, 12), (accepted.Count, refused));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Task.WhenAll(accepted));
    }

    [Fact]
    public async Task GenerateAsync_AfterABurstEnded_AdmitsAgain()
    {
        using var engine = TestEngines.Qwen2Tiny(o => o with { MaxNumSeqs = 2, MaxWaiting = 2 });
        using (var cancellation = new CancellationTokenSource())
        {
            var (accepted, _) = Burst(engine, 16, cancellation.Token);
            await cancellation.CancelAsync();
            await Task.WhenAll(accepted.Select(task => task.ContinueWith(_ => { }, TaskScheduler.Default)));
        }

        var (again, refused) = Burst(engine, 4, CancellationToken.None, maxTokens: 2);

        Assert.Equal(0, refused);
        Assert.All(await Task.WhenAll(again), result => Assert.Equal(2, result.CompletionTokens));
    }

    private static (List<Task<GenerationResult>> Accepted, int Refused) Burst(ArEngine engine, int count, CancellationToken cancellationToken,
        int maxTokens = 100)
    {
        var accepted = new List<Task<GenerationResult>>();
        var refused = 0;
        for (var i = 0; i < count; i++)
        {
            try
            {
                accepted.Add(engine.GenerateAsync(new GenerationRequest(Prompts[i % Prompts.Length]) { MaxTokens = maxTokens, IgnoreEos = true }, null,
                    cancellationToken));
            }
            catch (QueueFullException)
            {
                refused++;
            }
        }
        return (accepted, refused);
    }

    [Fact]
    public async Task GenerateAsync_QueueFull_ThrowsQueueFullException()
    {
        using var engine = TestEngines.Qwen2Tiny(o => o with { MaxNumSeqs = 1, MaxWaiting = 1 });
        using var started = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        using var cancellation = new CancellationTokenSource();
        // The running request holds the engine thread in its first token's callback, inside the step that admitted
        // it, so nothing can finish or be admitted while the queue is checked: the waiting request stays queued,
        // whatever the machine's speed, and the engine must already count the running one.
        var tokens = 0;
        var running = engine.GenerateAsync(new GenerationRequest(Prompts[0]) { MaxTokens = 40, IgnoreEos = true }, _ =>
        {
            if (++tokens == 1)
            {
                started.Set();
                release.Wait(TimeSpan.FromSeconds(30));
            }
        }, cancellation.Token);
        Assert.True(started.Wait(TimeSpan.FromSeconds(30)));
        var waiting = engine.GenerateAsync(new GenerationRequest(Prompts[1]) { MaxTokens = 5 }, null, cancellation.Token);

        // The refusal is immediate (thrown by the call, not by the task).
        var refusal = Record.Exception(() =>
        {
            _ = engine.GenerateAsync(new GenerationRequest(Prompts[2]) { MaxTokens = 5 }, null, CancellationToken.None);
        });
        await cancellation.CancelAsync();
        release.Set();

        Assert.IsType<QueueFullException>(refusal);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Task.WhenAll(running, waiting));
    }

    [Fact]
    public void GenerateAsync_AfterAllFinish_ReportsIdleQueuesAndEmptyCache()
    {
        var observer = new RecordingObserver();
        using var engine = TestEngines.Qwen2Tiny(observer: observer);

        TestEngines.RunTogether(engine, Prompts.Select(p => new GenerationRequest(p) { MaxTokens = 5, Seed = 1 }).ToArray());

        Assert.Equal(default, observer.WaitForIdle());
        Assert.Equal(default, engine.State);
        Assert.Contains(observer.States, state => state.Running > 0 && state.KvCacheUsage > 0);
        Assert.Equal(Prompts.Length, observer.Finished.Count);
        Assert.Equal(Prompts.Sum(engine.CountTokens), observer.Steps.Sum(s => s.PromptTokens));
        Assert.Equal(Prompts.Length * 5, observer.Steps.Sum(s => s.GenerationTokens));
        Assert.Equal(Prompts.Length, observer.FirstTokens);
        Assert.Equal(Prompts.Length * 4, observer.InterTokenLatencies);
    }

    [Fact]
    public void GenerateAsync_ManyRequests_LeaveNoLiveTensorsOnTheEngineThread()
    {
        using var engine = TestEngines.Qwen2Tiny();
        var requests = Prompts.Select((p, i) => new GenerationRequest(p)
        {
            Temperature = i % 2 == 0 ? 0 : 0.9f, Seed = 5, TopK = 40, TopP = 0.9f, RepetitionPenalty = 1.2f, MaxTokens = 6,
            ReturnHiddenStates = i % 3 == 0, Logprobs = i % 2 == 0 ? 3 : null,
        }).ToArray();
        TestEngines.RunTogether(engine, requests);
        var before = engine.EngineThreadLiveTensors;

        TestEngines.RunTogether(engine, requests);
        TestEngines.RunTogether(engine, requests.Select(r => r with { GenerateText = false, ReturnHiddenStates = true }).ToArray());

        Assert.Equal(before, engine.EngineThreadLiveTensors);
    }
}
