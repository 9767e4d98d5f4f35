using System.Collections.Concurrent;

namespace Omni.Common.Transfers;

/// <summary>
/// The direct transfers a downstream replica expects or receives. The push and the request that consumes it may
/// arrive in either order; whichever comes first creates the entry. Entries nobody completes expire.
/// </summary>
public sealed class TransferRegistry
{
    /// <summary>Chunks buffered per transfer between the push stream and the consuming request.</summary>
    public const int ChunkBuffer = 8;

    public static readonly TimeSpan Expiry = TimeSpan.FromMinutes(2);

    private readonly ConcurrentDictionary<string, IncomingTransfer> _transfers = new();

    public int Count => _transfers.Count;

    public IncomingTransfer GetOrAdd(string transferId)
    {
        RemoveExpired();
        return _transfers.GetOrAdd(transferId, id => new IncomingTransfer(id, ChunkBuffer));
    }

    public void Remove(string transferId) => _transfers.TryRemove(transferId, out _);

    private void RemoveExpired()
    {
        var cutoff = DateTime.UtcNow - Expiry;
        foreach (var (id, transfer) in _transfers)
        {
            if (transfer.CreatedUtc < cutoff && _transfers.TryRemove(id, out _))
            {
                transfer.Fail(new TimeoutException($"Transfer {id} was not completed within {Expiry.TotalSeconds:F0} s."));
            }
        }
    }
}
