using System.Diagnostics;
using Omni.Contracts.V1;
using Omni.Orchestrator.Configuration;
using Omni.Orchestrator.Pipeline;

namespace Omni.Orchestrator.Tests;

public sealed class TransferLedgerTests
{
    private static readonly long TicksPerMs = Stopwatch.Frequency / 1000;

    [Fact]
    public void Report_RelayedChunks_DurationSpansFirstArrivalToLastForwardPlusStageEnds()
    {
        var ledger = new TransferLedger(0, 1, Connector.Relay, ["h"]);
        ledger.AddRelayed("h", 100, arrived: 1000 * TicksPerMs, forwarded: 1002 * TicksPerMs);
        ledger.AddRelayed("h", 50, arrived: 1010 * TicksPerMs, forwarded: 1013 * TicksPerMs);
        var sender = new StageFinal();
        sender.SentChunks.Add(new ChunkTiming { Tensor = "h", Bytes = 100, TxMs = 0.5 });
        sender.SentChunks.Add(new ChunkTiming { Tensor = "h", Bytes = 50, TxMs = 0.25 });
        ledger.MergeSent(sender);
        ledger.MergeReceived([new ChunkTiming { Tensor = "h", Bytes = 100, RxDecodeMs = 1 }, new ChunkTiming { Tensor = "h", Bytes = 50, RxDecodeMs = 0.75 }]);

        var report = ledger.Report(1, 0);

        Assert.Equal(0.5 + 13 + 0.75, report.DurationMs, 9);
    }

    [Fact]
    public void Report_RelayedChunks_InFlightIsTheOrchestratorsHoldTime()
    {
        var ledger = new TransferLedger(0, 1, Connector.Relay, ["h"]);
        ledger.AddRelayed("h", 100, arrived: 1000 * TicksPerMs, forwarded: 1002 * TicksPerMs);
        ledger.AddRelayed("h", 50, arrived: 1010 * TicksPerMs, forwarded: 1013 * TicksPerMs);

        var report = ledger.Report(1, 0);

        Assert.Equal((2u, 150ul, 5.0), (report.Chunks, report.Bytes, Math.Round(report.InFlightMs, 9)));
    }

    [Fact]
    public void MergeSent_ChunksOfOtherEdgesTensors_Ignored()
    {
        var ledger = new TransferLedger(0, 1, Connector.Relay, ["h"]);
        var sender = new StageFinal();
        sender.SentChunks.Add(new ChunkTiming { Tensor = "token_ids", Bytes = 8, TxMs = 9 });
        sender.SentChunks.Add(new ChunkTiming { Tensor = "h", Bytes = 100, TxMs = 0.5 });
        ledger.MergeSent(sender);

        var report = ledger.Report(0, 0);

        Assert.Equal((1u, 100ul, 0.5), (report.Chunks, report.Bytes, report.TxMs));
    }

    [Fact]
    public void Report_DirectTransfer_DurationIsTheSendersMeasure()
    {
        var ledger = new TransferLedger(0, 1, Connector.Direct, ["h"]);
        var sent = new DirectSend { TransferId = "t", DurationMs = 42.5 };
        sent.Chunks.Add(new ChunkTiming { Tensor = "h", Bytes = 100, TxMs = 1, RxDecodeMs = 2, InFlightMs = 3 });
        ledger.MergeDirect(sent);

        var report = ledger.Report(0, 1);

        Assert.Equal((42.5, 1.0, 2.0, 3.0, "direct"), (report.DurationMs, report.TxMs, report.RxDecodeMs, report.InFlightMs, report.Connector));
    }

    [Fact]
    public void Report_NoChunks_ZeroDuration()
    {
        var ledger = new TransferLedger(0, 1, Connector.Relay, ["h"]);

        Assert.Equal(0, ledger.Report(0, 0).DurationMs);
    }

    [Fact]
    public async Task MergeDirectAndMergeReceived_AtOnce_EachChunkOnce()
    {
        var chunks = Enumerable.Range(0, 20000).Select(_ => new ChunkTiming { Tensor = "h", Bytes = 10, TxMs = 1, RxDecodeMs = 1 }).ToList();
        for (var round = 0; round < 20; round++)
        {
            var ledger = new TransferLedger(0, 1, Connector.Direct, ["h"], "t");
            var sent = new DirectSend { DurationMs = 1 };
            sent.Chunks.AddRange(chunks);
            using var start = new Barrier(2);

            await Task.WhenAll(
                Task.Run(() => { start.SignalAndWait(); ledger.MergeDirect(sent); }),
                Task.Run(() => { start.SignalAndWait(); ledger.MergeReceived(chunks); }));

            var report = ledger.Report(10, 11);
            Assert.Equal((20000u, 200000ul), (report.Chunks, report.Bytes));
        }
    }
}
