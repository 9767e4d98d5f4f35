using Omni.Common.Engine;
using Omni.DiffusionStage.Engine;
using Omni.DiffusionStage.Scheduling;

namespace Omni.DiffusionStage.Tests;

[Collection(DefaultEngineCollection.Name)]
public sealed class DiffusionEngineLoopTests(DefaultEngineFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private DiffusionEngine Engine => fixture.Engine;

    [Fact]
    public async Task WarmUp_Started_RunsARequestTheObserverNeverSees()
    {
        var observer = new RecordingEngineObserver();
        using var loop = new DiffusionEngineLoop(Engine, maxBatchSize: 2, maxWaiting: 8, observer);
        loop.Start();

        loop.WarmUp();
        var result = await loop.SubmitAsync(DefaultEngineFixture.SmallRequest(conditioningSeed: 1, seed: 1), CancellationToken.None).WaitAsync(Timeout);

        Assert.Equal((1, result), (observer.Completed.Count, observer.Completed[0]));
        Assert.Equal(DefaultEngineFixture.SmallRequest(conditioningSeed: 1, seed: 1).Steps, observer.Steps.Count);
    }

    [Fact]
    public async Task SubmitAsync_TwoRequestsInOneBatch_SameBytesAsTwoSingleRuns()
    {
        var first = DefaultEngineFixture.SmallRequest(conditioningSeed: 1, seed: 1);
        var second = DefaultEngineFixture.SmallRequest(conditioningSeed: 2, seed: 2);
        var expected = new[] { Single(first), Single(second) };
        var observer = new RecordingEngineObserver();
        using var loop = new DiffusionEngineLoop(Engine, maxBatchSize: 2, maxWaiting: 8, observer);

        var submitted = new[] { loop.SubmitAsync(first, CancellationToken.None), loop.SubmitAsync(second, CancellationToken.None) };
        loop.Start();
        var results = await Task.WhenAll(submitted).WaitAsync(Timeout);

        Assert.Equal(2, observer.MaxRunning);
        Assert.Equal(expected[0], results[0].Images[0].Data);
        Assert.Equal(expected[1], results[1].Images[0].Data);
    }

    [Fact]
    public async Task SubmitAsync_MixedSchedulersGuidanceAndLengthsInOneBatch_SameBytesAsSingleRuns()
    {
        DiffusionRequest[] requests =
        [
            DefaultEngineFixture.SmallRequest(conditioningSeed: 1, seed: 10),
            new DiffusionRequest(DefaultEngineFixture.Conditioning(9, 256, 3), 9, 256)
            {
                Width = 64, Height = 64, Steps = 3, Seed = 20, NumImages = 2, Sampler = SamplerKind.Ddim,
                TimestepSpacing = TimestepSpacing.Trailing, GuidanceScale = 3f,
                NegativeConditioning = DefaultEngineFixture.Conditioning(4, 256, 4), NegativeConditioningTokens = 4,
            },
            DefaultEngineFixture.SmallRequest(conditioningSeed: 5, seed: 30) with { Steps = 5, GuidanceScale = 2f, Shift = 3.0 },
        ];
        var expected = requests.Select(request => Engine.Generate(request, null, CancellationToken.None)).ToList();
        var observer = new RecordingEngineObserver();
        using var loop = new DiffusionEngineLoop(Engine, maxBatchSize: 4, maxWaiting: 8, observer);

        var submitted = requests.Select(request => loop.SubmitAsync(request, CancellationToken.None)).ToList();
        loop.Start();
        var results = await Task.WhenAll(submitted).WaitAsync(Timeout);

        Assert.Equal(3, observer.MaxRunning);
        for (var i = 0; i < requests.Length; i++)
        {
            Assert.Equal(expected[i].Images.Select(image => image.Data), results[i].Images.Select(image => image.Data));
        }
    }

    [Fact]
    public async Task SubmitAsync_RequestJoinsARunningBatch_SameBytesAsSingleRuns()
    {
        var first = DefaultEngineFixture.SmallRequest(conditioningSeed: 1, seed: 1) with { Steps = 6 };
        var second = DefaultEngineFixture.SmallRequest(conditioningSeed: 2, seed: 2);
        var expected = new[] { Single(first), Single(second) };
        DiffusionEngineLoop? loop = null;
        Task<DiffusionResult>? joined = null;
        // Submitted from the engine thread after the first request's second step, so it joins mid-flight.
        var observer = new RecordingEngineObserver
        {
            AfterStep = count => { if (count == 2) { joined = loop!.SubmitAsync(second, CancellationToken.None); } },
        };
        using (loop = new DiffusionEngineLoop(Engine, maxBatchSize: 2, maxWaiting: 8, observer))
        {
            loop.Start();
            var firstResult = await loop.SubmitAsync(first, CancellationToken.None).WaitAsync(Timeout);
            var secondResult = await joined!.WaitAsync(Timeout);

            Assert.Equal(2, observer.MaxRunning);
            Assert.Equal(expected[0], firstResult.Images[0].Data);
            Assert.Equal(expected[1], secondResult.Images[0].Data);
        }
    }

    [Fact]
    public async Task SubmitAsync_DifferentSizes_RunInArrivalOrderWithoutSharingABatch()
    {
        var observer = new RecordingEngineObserver();
        using var loop = new DiffusionEngineLoop(Engine, maxBatchSize: 4, maxWaiting: 8, observer);
        var request = DefaultEngineFixture.SmallRequest() with { Steps = 2, Format = ImageFormat.Rgb8 };

        var submitted = new[]
        {
            loop.SubmitAsync(request, CancellationToken.None),
            loop.SubmitAsync(request with { Width = 96 }, CancellationToken.None),
            loop.SubmitAsync(request with { Seed = 7 }, CancellationToken.None),
        };
        loop.Start();
        await Task.WhenAll(submitted).WaitAsync(Timeout);

        // The 96-wide request stops admission, so the third (64 wide again) does not overtake it.
        Assert.Equal(1, observer.MaxRunning);
        Assert.Equal([64, 96, 64], observer.Completed.Select(result => result.Width));
    }

    [Fact]
    public async Task SubmitAsync_ImagesBeyondMaxBatchSize_WaitThenRunAlone()
    {
        var observer = new RecordingEngineObserver();
        using var loop = new DiffusionEngineLoop(Engine, maxBatchSize: 2, maxWaiting: 8, observer);
        var request = DefaultEngineFixture.SmallRequest() with { Steps = 2 };

        var single = loop.SubmitAsync(request, CancellationToken.None);
        var triple = loop.SubmitAsync(request with { NumImages = 3, Seed = 100 }, CancellationToken.None);
        loop.Start();
        await Task.WhenAll(single, triple).WaitAsync(Timeout);

        Assert.Equal(1, observer.MaxRunning);
        var images = (await triple).Images;
        Assert.Equal([0, 1, 2], images.Select(image => image.Index));
        Assert.Equal([100ul, 101ul, 102ul], images.Select(image => image.Seed));
    }

    [Fact]
    public async Task SubmitAsync_MaxBatchSize_BoundsTheRequestsRunningTogether()
    {
        var observer = new RecordingEngineObserver();
        using var loop = new DiffusionEngineLoop(Engine, maxBatchSize: 2, maxWaiting: 8, observer);
        var request = DefaultEngineFixture.SmallRequest() with { Steps = 2 };

        var submitted = Enumerable.Range(0, 3).Select(i => loop.SubmitAsync(request with { Seed = (ulong)i }, CancellationToken.None)).ToList();
        loop.Start();
        await Task.WhenAll(submitted).WaitAsync(Timeout);

        Assert.Equal(2, observer.MaxRunning);
        Assert.Equal(3, observer.MaxWaiting);
    }

    [Fact]
    public async Task SubmitAsync_CancelledWhileRunning_LeavesWithinOneStep()
    {
        using var cancellation = new CancellationTokenSource();
        var observer = new RecordingEngineObserver { AfterStep = count => { if (count == 3) { cancellation.Cancel(); } } };
        using var loop = new DiffusionEngineLoop(Engine, maxBatchSize: 2, maxWaiting: 8, observer);
        loop.Start();

        var cancelled = loop.SubmitAsync(DefaultEngineFixture.SmallRequest() with { Steps = 100 }, cancellation.Token);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.WaitAsync(Timeout));
        Assert.Equal(3, observer.Steps.Count);
        var after = await loop.SubmitAsync(DefaultEngineFixture.SmallRequest() with { Steps = 1 }, CancellationToken.None).WaitAsync(Timeout);
        Assert.Single(after.Images);
        Assert.Equal((0, 0), await observer.SettledQueueAsync(Timeout));
    }

    [Fact]
    public async Task SubmitAsync_CancelledWhileWaiting_DroppedWithoutRunning()
    {
        using var cancellation = new CancellationTokenSource();
        var observer = new RecordingEngineObserver();
        using var loop = new DiffusionEngineLoop(Engine, maxBatchSize: 1, maxWaiting: 8, observer);
        var request = DefaultEngineFixture.SmallRequest() with { Steps = 2 };

        var kept = loop.SubmitAsync(request, CancellationToken.None);
        var dropped = loop.SubmitAsync(request, cancellation.Token);
        cancellation.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => dropped.WaitAsync(Timeout));
        Assert.Equal(1, loop.Waiting);
        loop.Start();
        await kept.WaitAsync(Timeout);
        Assert.Single(observer.Completed);
        Assert.Equal(2, observer.Steps.Count);
    }

    [Fact]
    public async Task SubmitAsync_QueueFull_ThrowsQueueFullException()
    {
        using var cancellation = new CancellationTokenSource();
        using var running = new SemaphoreSlim(0);
        var observer = new RecordingEngineObserver { AfterStep = count => { if (count == 1) { running.Release(); } } };
        using var loop = new DiffusionEngineLoop(Engine, maxBatchSize: 1, maxWaiting: 1, observer);
        loop.Start();
        var request = DefaultEngineFixture.SmallRequest() with { Steps = 200 };

        var first = loop.SubmitAsync(request, cancellation.Token);
        Assert.True(await running.WaitAsync(Timeout));
        var second = loop.SubmitAsync(request, cancellation.Token);

        Assert.Throws<QueueFullException>(() => { _ = loop.SubmitAsync(request, cancellation.Token); });
        await cancellation.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Task.WhenAll(first, second).WaitAsync(Timeout));
    }

    [Fact]
    public void SubmitAsync_InvalidRequest_ThrowsArgumentExceptionAtOnce()
    {
        using var loop = new DiffusionEngineLoop(Engine, maxBatchSize: 2, maxWaiting: 8);

        var error = Assert.ThrowsAny<ArgumentException>(
            () => { _ = loop.SubmitAsync(DefaultEngineFixture.SmallRequest() with { Width = 72 }, CancellationToken.None); });

        Assert.Contains("multiple of 16", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, loop.Waiting);
    }

    [Fact]
    public async Task Observer_NRequestsOfSSteps_ToldNTimesSStepsAndNCompletions()
    {
        const int requests = 3;
        const int steps = 3;
        var observer = new RecordingEngineObserver();
        using var loop = new DiffusionEngineLoop(Engine, maxBatchSize: 2, maxWaiting: 8, observer);
        loop.Start();

        await Task.WhenAll(Enumerable.Range(0, requests).Select(i =>
            loop.SubmitAsync(DefaultEngineFixture.SmallRequest(seed: (ulong)i) with { Steps = steps }, CancellationToken.None))).WaitAsync(Timeout);

        Assert.Equal(requests * steps, observer.Steps.Count);
        Assert.Equal(requests, observer.Steps.Count(step => step.Step == 0));
        Assert.All(observer.Steps, step => Assert.True(step.Duration > TimeSpan.Zero));
        Assert.Equal(requests, observer.Completed.Count);
        Assert.All(observer.Completed, result =>
        {
            Assert.True(result.PreprocessTime > TimeSpan.Zero);
            Assert.True(result.ExecTime > TimeSpan.Zero);
            Assert.True(result.PostprocessTime > TimeSpan.Zero);
        });
        Assert.Equal((0, 0), await observer.SettledQueueAsync(Timeout));
    }

    [Fact]
    public async Task Dispose_WithRunningAndWaitingRequests_CancelsBoth()
    {
        using var running = new SemaphoreSlim(0);
        var observer = new RecordingEngineObserver { AfterStep = count => { if (count == 1) { running.Release(); } } };
        var loop = new DiffusionEngineLoop(Engine, maxBatchSize: 1, maxWaiting: 8, observer);
        loop.Start();
        var request = DefaultEngineFixture.SmallRequest() with { Steps = 200 };
        var first = loop.SubmitAsync(request, CancellationToken.None);
        var second = loop.SubmitAsync(request, CancellationToken.None);
        Assert.True(await running.WaitAsync(Timeout));

        loop.Dispose();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first.WaitAsync(Timeout));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => second.WaitAsync(Timeout));
        Assert.Throws<ObjectDisposedException>(() => { _ = loop.SubmitAsync(request, CancellationToken.None); });
    }

    private byte[] Single(DiffusionRequest request) => Engine.Generate(request, null, CancellationToken.None).Images[0].Data;
}
