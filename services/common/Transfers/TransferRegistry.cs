using System.Collections.Concurrent;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace Omni.Common.Transfers;

/// <summary>
/// The direct transfers a downstream replica expects or receives. The push and the request that consumes it may
/// arrive in either order; whichever comes first creates the entry. At most MaxIncoming are held at once (a push
/// or a request beyond gets RESOURCE_EXHAUSTED), and a push whose consuming request has not come within the unpaired
/// timeout is dropped by a sweep every half second, ending the push. A consuming request that came first waits for its
/// push under its own input idle timeout: its upstream pushes when it has finished, which may take longer.
/// </summary>
public sealed class TransferRegistry : IDisposable
{
    /// <summary>Chunks buffered per transfer between the push stream and the consuming request.</summary>
    public const int ChunkBuffer = 8;

    private readonly ConcurrentDictionary<string, IncomingTransfer> _transfers = new();
    private readonly TransferOptions _options;
    private readonly Timer _sweep;
    private readonly object _gate = new();

    public TransferRegistry(IOptions<TransferOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _sweep = new Timer(_ => RemoveUnpaired(), null, TimeSpan.FromMilliseconds(500), TimeSpan.FromMilliseconds(500));
    }

    public int Count => _transfers.Count;

    public IncomingTransfer GetOrAdd(string transferId)
    {
        lock (_gate)
        {
            if (_transfers.TryGetValue(transferId, out var existing))
            {
                return existing;
            }
            if (_transfers.Count >= _options.MaxIncoming)
            {
                throw new RpcException(new Status(StatusCode.ResourceExhausted,
                    $"This replica holds {_transfers.Count} direct transfers, its limit (Transfers:MaxIncoming)."));
            }
            var transfer = new IncomingTransfer(transferId, ChunkBuffer);
            _transfers[transferId] = transfer;
            return transfer;
        }
    }

    public void Remove(string transferId)
    {
        if (_transfers.TryRemove(transferId, out var transfer))
        {
            transfer.Dispose();
        }
    }

    public void Dispose()
    {
        _sweep.Dispose();
        foreach (var id in _transfers.Keys)
        {
            if (_transfers.TryRemove(id, out var transfer))
            {
                transfer.Fail(new OperationCanceledException("The replica is shutting down."));
                transfer.Dispose();
            }
        }
    }

    private void RemoveUnpaired()
    {
        var cutoff = DateTime.UtcNow - _options.UnpairedTimeout;
        foreach (var (id, transfer) in _transfers)
        {
            if (!transfer.ConsumerAttached && transfer.CreatedUtc < cutoff && _transfers.TryRemove(id, out _))
            {
                transfer.Fail(new TimeoutException(
                    $"Transfer {id}: no request consumed the push within {_options.UnpairedTimeoutSeconds:0.#} s."));
            }
        }
    }
}
