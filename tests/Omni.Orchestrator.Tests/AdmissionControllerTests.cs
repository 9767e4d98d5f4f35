using Microsoft.Extensions.Options;
using Omni.Orchestrator.Admission;
using Omni.Orchestrator.Configuration;

namespace Omni.Orchestrator.Tests;

public sealed class AdmissionControllerTests
{
    private static AdmissionController Create(int inflight, int waiting) =>
        new(Options.Create(new PipelineOptions { MaxInflight = inflight, MaxWaiting = waiting }));

    [Fact]
    public async Task EnterAsync_UnderLimit_AdmitsAtOnce()
    {
        var admission = Create(2, 0);

        using var first = await admission.EnterAsync(CancellationToken.None);
        using var second = await admission.EnterAsync(CancellationToken.None);

        Assert.Equal(0, admission.Waiting);
    }

    [Fact]
    public async Task EnterAsync_SlotsAndQueueFull_Rejects()
    {
        var admission = Create(1, 1);
        using var running = await admission.EnterAsync(CancellationToken.None);
        var waiting = admission.EnterAsync(CancellationToken.None).AsTask();

        await Assert.ThrowsAsync<AdmissionRejectedException>(() => admission.EnterAsync(CancellationToken.None).AsTask());

        running.Dispose();
        using var admitted = await waiting;
    }

    [Fact]
    public async Task EnterAsync_SlotFreed_AdmitsWaiter()
    {
        var admission = Create(1, 5);
        var running = await admission.EnterAsync(CancellationToken.None);
        var waiter = admission.EnterAsync(CancellationToken.None).AsTask();
        Assert.False(waiter.IsCompleted);
        Assert.Equal(1, admission.Waiting);

        running.Dispose();

        using var admitted = await waiter;
        Assert.Equal(0, admission.Waiting);
    }

    [Fact]
    public async Task EnterAsync_WaiterCancelled_LeavesQueue()
    {
        var admission = Create(1, 5);
        using var running = await admission.EnterAsync(CancellationToken.None);
        using var cancel = new CancellationTokenSource();
        var waiter = admission.EnterAsync(cancel.Token).AsTask();

        cancel.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiter);
        Assert.Equal(0, admission.Waiting);
    }

    [Fact]
    public async Task LeaseDispose_Twice_ReleasesOneSlot()
    {
        var admission = Create(1, 0);
        var lease = await admission.EnterAsync(CancellationToken.None);
        lease.Dispose();
        lease.Dispose();

        using var again = await admission.EnterAsync(CancellationToken.None);
        await Assert.ThrowsAsync<AdmissionRejectedException>(() => admission.EnterAsync(CancellationToken.None).AsTask());
    }
}
