using System.Collections.Concurrent;
using Omni.Code2Wav.Engine;
using Omni.Code2Wav.Model;
using Omni.Common.Engine;
using static TorchSharp.torch;

namespace Omni.Code2Wav.Tests;

public sealed class Code2WavEngineLoopTests : IDisposable
{
    private readonly Code2WavModel _model = DefaultCode2WavModel.Create();

    public void Dispose() => _model.Dispose();

    [Fact]
    public async Task SubmitAsync_ChunksOfConcurrentStreams_BatchedAndEachStreamsSamplesAsDecodedAlone()
    {
        var observer = new RecordingObserver();
        using var loop = new Code2WavEngineLoop(_model, CPU, maxBatchSize: 8, maxWaiting: 64, observer);
        var streams = Enumerable.Range(0, 3).Select(seed => Codes(60, seed)).ToArray();
        var decoders = streams.Select(_ => new StreamingDecoder(_model, CPU)).ToArray();
        var tasks = streams.Select((codes, s) => codes.Chunk(20).Select(chunk => loop.SubmitAsync(decoders[s].Prepare(chunk), CancellationToken.None)).ToArray()).ToArray();

        loop.Start();
        var decoded = await Task.WhenAll(tasks.Select(async chunks => (await Task.WhenAll(chunks)).SelectMany(samples => samples).ToArray()));

        for (var s = 0; s < streams.Length; s++)
        {
            Assert.Equal(Code2WavDecoding.DecodeWhole(_model, CPU, streams[s]), decoded[s]);
        }
        Assert.Equal(9, observer.Chunks.Count);
        Assert.True(observer.MaxRunning > 1, "chunks of one input length should share a pass");
    }

    [Fact]
    public async Task WarmUp_Started_DecodesAChunkTheObserverNeverSees()
    {
        var observer = new RecordingObserver();
        using var loop = new Code2WavEngineLoop(_model, CPU, maxBatchSize: 8, maxWaiting: 8, observer);
        loop.Start();

        loop.WarmUp();
        await loop.SubmitAsync(new StreamingDecoder(_model, CPU).Prepare(Codes(20, seed: 1)), CancellationToken.None);

        Assert.Equal([20], observer.Chunks);
    }

    [Fact]
    public async Task SubmitAsync_CancelledBeforeItsPass_CancelledAndNotDecoded()
    {
        var observer = new RecordingObserver();
        using var loop = new Code2WavEngineLoop(_model, CPU, maxBatchSize: 8, maxWaiting: 8, observer);
        using var cancel = new CancellationTokenSource();
        var decoder = new StreamingDecoder(_model, CPU);
        var cancelled = loop.SubmitAsync(decoder.Prepare(Codes(10, 1)), cancel.Token);
        var kept = loop.SubmitAsync(new StreamingDecoder(_model, CPU).Prepare(Codes(5, 2)), CancellationToken.None);

        await cancel.CancelAsync();
        loop.Start();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        Assert.Equal(5 * _model.Config.HopLength, (await kept).Length);
        Assert.Equal([5], observer.Chunks);
    }

    [Fact]
    public async Task SubmitAsync_TokenCancelledAlready_CancelledWithoutQueueing()
    {
        using var loop = new Code2WavEngineLoop(_model, CPU, maxBatchSize: 8, maxWaiting: 8);

        var task = loop.SubmitAsync(new StreamingDecoder(_model, CPU).Prepare(Codes(4, 1)), new CancellationToken(canceled: true));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task);
        Assert.Equal(0, loop.Waiting);
    }

    [Fact]
    public void SubmitAsync_QueueFullForAStreamAlreadyAdmitted_Queued()
    {
        using var loop = new Code2WavEngineLoop(_model, CPU, maxBatchSize: 1, maxWaiting: 1);
        _ = loop.SubmitAsync(new StreamingDecoder(_model, CPU).Prepare(Codes(3, 1)), CancellationToken.None);

        _ = loop.SubmitAsync(new StreamingDecoder(_model, CPU).Prepare(Codes(3, 2)), CancellationToken.None, admitted: true);

        Assert.Equal(2, loop.Waiting);
    }

    [Fact]
    public void SubmitAsync_QueueFull_ThrowsQueueFull()
    {
        using var loop = new Code2WavEngineLoop(_model, CPU, maxBatchSize: 1, maxWaiting: 2);
        _ = loop.SubmitAsync(new StreamingDecoder(_model, CPU).Prepare(Codes(3, 1)), CancellationToken.None);
        _ = loop.SubmitAsync(new StreamingDecoder(_model, CPU).Prepare(Codes(3, 2)), CancellationToken.None);

        Assert.Throws<QueueFullException>(() => { _ = loop.SubmitAsync(new StreamingDecoder(_model, CPU).Prepare(Codes(3, 3)), CancellationToken.None); });
    }

    private static int[] Codes(int frames, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, frames).Select(_ => random.Next(DefaultCode2WavModel.Config.CodebookSize))];
    }

    private sealed class RecordingObserver : ICode2WavObserver
    {
        public ConcurrentQueue<int> Chunks { get; } = new();

        public int MaxRunning { get; private set; }

        public void OnChunk(int frames, TimeSpan time) => Chunks.Enqueue(frames);

        public void OnQueueChanged(int running, int waiting) => MaxRunning = Math.Max(MaxRunning, running);
    }
}
