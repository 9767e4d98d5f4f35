using Omni.Common.Engine;

namespace Omni.Common.Tests;

public sealed class EngineWorkQueueTests
{
    private sealed class RecordingObserver : IEngineQueueObserver
    {
        public List<(int Running, int Waiting)> Changes { get; } = [];

        public void OnQueueChanged(int running, int waiting)
        {
            lock (Changes)
            {
                Changes.Add((running, waiting));
            }
        }
    }

    [Fact]
    public async Task RunAsync_SeveralItems_RunOneAtATimeInOrder()
    {
        using var queue = new EngineWorkQueue("test", 10);
        var order = new List<int>();
        var active = 0;
        var maxActive = 0;

        var tasks = Enumerable.Range(0, 5).Select(i => queue.RunAsync((_, _) =>
        {
            maxActive = Math.Max(maxActive, Interlocked.Increment(ref active));
            Thread.Sleep(5);
            order.Add(i);
            Interlocked.Decrement(ref active);
            return i;
        }, CancellationToken.None)).ToList();

        var results = await Task.WhenAll(tasks);
        Assert.Equal(new[] { 0, 1, 2, 3, 4 }, results);
        Assert.Equal([0, 1, 2, 3, 4], order);
        Assert.Equal(1, maxActive);
    }

    [Fact]
    public async Task RunAsync_QueueFull_ThrowsAtOnce()
    {
        using var queue = new EngineWorkQueue("test", 1);
        using var release = new ManualResetEventSlim();
        var blocker = queue.RunAsync((_, _) => release.Wait(TimeSpan.FromSeconds(10)), CancellationToken.None);
        while (queue.Running == 0)
        {
            await Task.Delay(1);
        }
        var waiting = queue.RunAsync((_, _) => true, CancellationToken.None);

        var rejected = Record.Exception(() => { _ = queue.RunAsync((_, _) => true, CancellationToken.None); });
        Assert.IsType<QueueFullException>(rejected);

        release.Set();
        Assert.True(await blocker);
        Assert.True(await waiting);
    }

    [Fact]
    public async Task RunAsync_CancelledWhileWaiting_NeverRunsAndLeavesQueue()
    {
        var observer = new RecordingObserver();
        using var queue = new EngineWorkQueue("test", 5, observer);
        using var release = new ManualResetEventSlim();
        var blocker = queue.RunAsync((_, _) => release.Wait(TimeSpan.FromSeconds(10)), CancellationToken.None);
        while (queue.Running == 0)
        {
            await Task.Delay(1);
        }
        using var cancel = new CancellationTokenSource();
        var ran = false;
        var cancelled = queue.RunAsync((_, _) => ran = true, cancel.Token);
        Assert.Equal(1, queue.Waiting);

        cancel.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        Assert.Equal(0, queue.Waiting);
        release.Set();
        await blocker;
        await queue.RunAsync((_, _) => 0, CancellationToken.None);
        Assert.False(ran);
    }

    [Fact]
    public async Task RunAsync_WorkThrows_FaultsOnlyThatItem()
    {
        using var queue = new EngineWorkQueue("test", 5);

        await Assert.ThrowsAsync<InvalidOperationException>(() => queue.RunAsync<int>((_, _) => throw new InvalidOperationException(), CancellationToken.None));

        Assert.Equal(7, await queue.RunAsync((_, _) => 7, CancellationToken.None));
    }

    [Fact]
    public async Task RunAsync_Finished_ObserverEndsAtZero()
    {
        var observer = new RecordingObserver();
        using var queue = new EngineWorkQueue("test", 5, observer);

        await queue.RunAsync((_, _) => 1, CancellationToken.None);
        await Task.Delay(50);

        lock (observer.Changes)
        {
            Assert.Contains((1, 0), observer.Changes);
            Assert.Equal((0, 0), observer.Changes[^1]);
        }
    }
}
