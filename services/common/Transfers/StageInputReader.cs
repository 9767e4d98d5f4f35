using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Threading.Channels;
using Grpc.Core;
using Omni.Common.Payloads;
using Omni.Common.Validation;
using Omni.Contracts.V1;

namespace Omni.Common.Transfers;

/// <summary>
/// A downstream stage's input: the named tensors the header lists, relayed on the request stream after the header
/// and pushed by upstream replicas under the header's transfer ids (direct), all at once. Each chunk's decode is
/// timed for the final. A chunk of a tensor the header does not list is refused, and an input that makes no progress
/// for <c>idleTimeout</c> ends the call with DEADLINE_EXCEEDED.
/// </summary>
public static class StageInputReader
{
    public static async Task<ReceivedInputs> ReceiveAsync(StageRequest header, IAsyncStreamReader<StageInput> requestStream,
        TransferRegistry registry, long maxBytesPerTensor, TimeSpan idleTimeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(header);
        var receiver = new TensorSetReceiver(maxBytesPerTensor);
        await RunSourcesAsync(header, requestStream, registry, chunk => receiver.Add(chunk), idleTimeout, cancellationToken).ConfigureAwait(false);

        var tensors = new Dictionary<string, ReceivedTensor>(StringComparer.Ordinal);
        foreach (var name in header.Inputs)
        {
            if (receiver.Get(name) is { } tensor)
            {
                tensors[name] = tensor;
            }
        }
        var incomplete = receiver.Incomplete.ToList();
        if (incomplete.Count > 0)
        {
            throw RequestValidator.Invalid("chunk", $"the input ended before tensor '{incomplete[0]}' was complete");
        }
        return new ReceivedInputs(tensors, receiver.Timings);
    }

    /// <summary>
    /// The call's one input, a streamed tensor, row chunk by row chunk as each arrives (relayed or pushed), checked
    /// by <see cref="StreamedTensorAssembler"/>. Each chunk's decode is timed into <paramref name="timings"/>. Ends
    /// after the tensor's last chunk; INVALID_ARGUMENT when the input ends before it.
    /// </summary>
    public static async IAsyncEnumerable<StreamedRows> StreamAsync(StageRequest header, IAsyncStreamReader<StageInput> requestStream,
        TransferRegistry registry, long maxBytes, TimeSpan idleTimeout, List<ChunkTiming> timings,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(timings);
        if (header.Inputs.Count != 1)
        {
            throw RequestValidator.Invalid("inputs", $"must name exactly one streamed tensor, got {header.Inputs.Count}");
        }
        var assembler = new StreamedTensorAssembler(maxBytes);
        var rows = Channel.CreateUnbounded<StreamedRows>(new UnboundedChannelOptions { SingleReader = true });
        double Add(TensorChunk chunk)
        {
            var start = Stopwatch.GetTimestamp();
            StreamedRows added;
            lock (assembler)
            {
                added = assembler.Add(chunk);
            }
            var elapsed = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            lock (timings)
            {
                timings.Add(new ChunkTiming { Tensor = chunk.Name, Bytes = (ulong)chunk.Data.Length, RxDecodeMs = elapsed });
            }
            rows.Writer.TryWrite(added);
            if (added.Last)
            {
                rows.Writer.TryComplete();
            }
            return elapsed;
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        // A failure after the last chunk (a chunk past it) cannot end the rows any more: it ends the input afterwards.
        Exception? afterLast = null;
        var sources = Task.Run(async () =>
        {
            try
            {
                await RunSourcesAsync(header, requestStream, registry, Add, idleTimeout, stop.Token).ConfigureAwait(false);
                rows.Writer.TryComplete(assembler.IsComplete ? null
                    : RequestValidator.Invalid("chunk", $"the input ended before tensor '{header.Inputs[0]}' was complete"));
            }
            catch (Exception error)
            {
                if (!rows.Writer.TryComplete(error))
                {
                    afterLast = error;
                }
            }
        }, CancellationToken.None);
        var complete = false;
        try
        {
            await foreach (var chunk in rows.Reader.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
            {
                complete = chunk.Last;
                yield return chunk;
            }
        }
        finally
        {
            // After the last chunk the sources end by themselves (the relayed stream closes, the pushes complete), and a
            // direct transfer cut short would fail its sender; a consumer that stopped early must not leave them running.
            if (!complete)
            {
                await stop.CancelAsync().ConfigureAwait(false);
            }
            await sources.ConfigureAwait(false);
        }
        if (afterLast is not null)
        {
            ExceptionDispatchInfo.Throw(afterLast);
        }
    }

    /// <summary>
    /// Feeds every chunk of the call's input (the relayed stream and each direct transfer, all at once) to
    /// <paramref name="add"/>, refusing tensors the header does not list; maps a failure to the status that says why.
    /// </summary>
    private static async Task RunSourcesAsync(StageRequest header, IAsyncStreamReader<StageInput> requestStream, TransferRegistry registry,
        Func<TensorChunk, double> add, TimeSpan idleTimeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(requestStream);
        ArgumentNullException.ThrowIfNull(registry);
        var expected = header.Inputs.ToHashSet(StringComparer.Ordinal);
        using var idle = new CancellationTokenSource(idleTimeout);
        double Add(TensorChunk chunk)
        {
            if (!expected.Contains(chunk.Name))
            {
                throw new InvalidDataException($"tensor '{chunk.Name}' is not one of this call's inputs ({string.Join(", ", expected)})");
            }
            idle.CancelAfter(idleTimeout);
            return add(chunk);
        }

        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, idle.Token);
        var sources = header.ReceiveTransferIds
            .Select(id => ConsumeDirectAsync(registry, id, Add, failed.Token))
            .Append(ConsumeRelayedAsync(requestStream, Add, failed.Token))
            .Select(async source =>
            {
                try
                {
                    await source.ConfigureAwait(false);
                }
                catch
                {
                    // One source failing ends the others: the input cannot complete.
                    await failed.CancelAsync().ConfigureAwait(false);
                    throw;
                }
            })
            .ToList();
        try
        {
            await Task.WhenAll(sources).ConfigureAwait(false);
        }
        catch (Exception first)
        {
            // The cause, not the cancellation it caused in the other sources.
            var cause = sources.Select(source => source.Exception?.InnerException)
                .FirstOrDefault(error => error is not null and not OperationCanceledException) ?? first;
            if (cause is InvalidDataException invalid)
            {
                throw RequestValidator.Invalid("chunk", invalid.Message);
            }
            if (idle.IsCancellationRequested && !cancellationToken.IsCancellationRequested && cause is OperationCanceledException)
            {
                throw new RpcException(new Status(StatusCode.DeadlineExceeded,
                    $"The call's input made no progress for {idleTimeout.TotalSeconds:0.#} s (Transfers:InputIdleTimeoutSeconds)."));
            }
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(cause);
        }
    }

    private static async Task ConsumeRelayedAsync(IAsyncStreamReader<StageInput> requestStream, Func<TensorChunk, double> add,
        CancellationToken cancellationToken)
    {
        while (await requestStream.MoveNext(cancellationToken).ConfigureAwait(false))
        {
            var input = requestStream.Current;
            if (input.KindCase != StageInput.KindOneofCase.Chunk)
            {
                throw new InvalidDataException($"expected tensor chunks after the header, got {input.KindCase}");
            }
            add(input.Chunk);
        }
    }

    private static async Task ConsumeDirectAsync(TransferRegistry registry, string transferId, Func<TensorChunk, double> add,
        CancellationToken cancellationToken)
    {
        await foreach (var _ in DirectTransferEndpoint.ConsumeAsync(registry, transferId, add, cancellationToken).ConfigureAwait(false))
        {
        }
    }
}
