using System.Diagnostics;
using Grpc.Core;
using Omni.Common.Payloads;
using Omni.Contracts.V1;

namespace Omni.DiffusionStage.IntegrationTests;

/// <summary>What a replica holds for the direct connector and for a call's input is bounded in number and in time.</summary>
[Collection(DiffusionStageCollection.Name)]
public sealed class TransferBoundsTests(DiffusionStageFixture fixture)
{
    [Fact]
    public async Task PushTransfer_UnknownTransferId_EndsWithDeadlineExceededAfterTheUnpairedTimeout()
    {
        var started = Stopwatch.GetTimestamp();
        using var push = fixture.Client.PushTransfer();
        await push.RequestStream.WriteAsync(new TransferMessage { TransferId = Guid.NewGuid().ToString("N"), Chunk = Chunk("hidden_states") });

        var error = await Assert.ThrowsAsync<RpcException>(() => push.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10)));

        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
        Assert.InRange(Stopwatch.GetElapsedTime(started).TotalSeconds, 0.9, 3);
    }

    [Fact]
    public async Task PushTransfer_MessageWithoutAChunk_InvalidArgument()
    {
        using var push = fixture.Client.PushTransfer();
        await push.RequestStream.WriteAsync(new TransferMessage { TransferId = Guid.NewGuid().ToString("N") });

        var error = await Assert.ThrowsAsync<RpcException>(() => push.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10)));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
    }

    [Fact]
    public async Task PushTransfer_BeyondMaxIncoming_ResourceExhausted()
    {
        var orphans = new List<AsyncDuplexStreamingCall<TransferMessage, TransferAck>>();
        try
        {
            for (var i = 0; i < DiffusionStageFixture.MaxIncomingTransfers; i++)
            {
                var orphan = fixture.Client.PushTransfer();
                await orphan.RequestStream.WriteAsync(new TransferMessage { TransferId = Guid.NewGuid().ToString("N"), Chunk = Chunk("hidden_states") });
                orphans.Add(orphan);
            }
            await Task.Delay(300);
            using var extra = fixture.Client.PushTransfer();
            await extra.RequestStream.WriteAsync(new TransferMessage { TransferId = Guid.NewGuid().ToString("N"), Chunk = Chunk("hidden_states") });

            var error = await Assert.ThrowsAsync<RpcException>(() => extra.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10)));

            Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        }
        finally
        {
            foreach (var orphan in orphans)
            {
                orphan.Dispose();
            }
            await Task.Delay(1500); // the orphans' unpaired timeout, so the next test starts with none
        }
    }

    [Fact]
    public async Task PushTransfer_ConsumerRejectsTheData_PushEndsAtOnce()
    {
        var transferId = Guid.NewGuid().ToString("N");
        using var process = await ConsumingCallAsync(transferId);
        using var push = fixture.Client.PushTransfer();

        // A tensor the call does not consume: the consumer rejects it; the push must not wait for its own deadline.
        await push.RequestStream.WriteAsync(new TransferMessage { TransferId = transferId, Chunk = Chunk("bogus") });

        var processError = await Assert.ThrowsAsync<RpcException>(() => process.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(StatusCode.InvalidArgument, processError.StatusCode);
        await Assert.ThrowsAsync<RpcException>(async () =>
        {
            while (await push.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5)))
            {
            }
        });
    }

    [Fact]
    public async Task Process_PushArrivesAfterTheUnpairedTimeout_ImageFromThePush()
    {
        // The consuming request comes first (the orchestrator opens every stage call at once) and its upstream pushes when
        // it has finished generating, which may take longer than the unpaired timeout: the call's input idle timeout governs.
        var transferId = Guid.NewGuid().ToString("N");
        using var process = await ConsumingCallAsync(transferId);
        await Task.Delay(1500);

        using var push = fixture.Client.PushTransfer();
        foreach (var name in new[] { StageCall.HiddenStates, StageCall.NegativeHiddenStates })
        {
            var (_, values, tokens) = StageCall.Tensor(name, 4, seed: 3);
            foreach (var chunk in TensorChunker.ChunkFloat32(name, values, [tokens, StageCall.Width]))
            {
                await push.RequestStream.WriteAsync(new TransferMessage { TransferId = transferId, Chunk = chunk });
            }
        }
        await push.RequestStream.CompleteAsync();

        var images = 0;
        StageFinal? final = null;
        while (await process.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30)))
        {
            images += process.ResponseStream.Current.KindCase == StageOutput.KindOneofCase.Image ? 1 : 0;
            final = process.ResponseStream.Current.Final ?? final;
        }
        Assert.Equal((1, true), (images, final is not null));
    }

    [Fact]
    public async Task Process_HeaderThenNoInput_DeadlineExceededAfterTheIdleTimeout()
    {
        var started = Stopwatch.GetTimestamp();
        using var process = fixture.Client.Process();
        await process.RequestStream.WriteAsync(new StageInput { Header = StageCall.Header(StageCall.Small()) });

        var error = await Assert.ThrowsAsync<RpcException>(() => process.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10)));

        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
        Assert.Contains("Transfers:InputIdleTimeoutSeconds", error.Status.Detail);
        Assert.InRange(Stopwatch.GetElapsedTime(started).TotalSeconds, 1.9, 4);
    }

    /// <summary>A small image's call whose input is the direct transfer <paramref name="transferId"/> alone.</summary>
    private async Task<AsyncDuplexStreamingCall<StageInput, StageOutput>> ConsumingCallAsync(string transferId)
    {
        var header = StageCall.Header(StageCall.Small());
        header.ReceiveTransferIds.Add(transferId);
        var process = fixture.Client.Process();
        await process.RequestStream.WriteAsync(new StageInput { Header = header });
        await process.RequestStream.CompleteAsync();
        return process;
    }

    private static TensorChunk Chunk(string name) =>
        TensorChunker.ChunkFloat32(name, new float[4 * StageCall.Width], [4, StageCall.Width]).First();
}
