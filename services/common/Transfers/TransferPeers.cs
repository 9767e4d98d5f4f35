using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Options;

namespace Omni.Common.Transfers;

/// <summary>
/// The addresses this stage may push to: its configured peers, DNS names resolved (and cached for a few seconds)
/// when a push is asked for. A stage never connects to an address only a request names.
/// </summary>
public sealed class TransferPeers
{
    private static readonly TimeSpan ResolveCache = TimeSpan.FromSeconds(5);

    private readonly IReadOnlyList<(string Host, int Port)> _peers;
    private readonly ConcurrentDictionary<string, (DateTime At, IPAddress[] Addresses)> _resolved = new(StringComparer.OrdinalIgnoreCase);

    public TransferPeers(IOptions<TransferOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _peers = (options.Value.Peers ?? "").Split([',', ' ', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(peer => TryParse(peer, out var endpoint) ? endpoint : throw new OptionsValidationException(TransferOptions.SectionName,
                typeof(TransferOptions), [$"Transfers:Peers entry '{peer}' must be host:port or an http(s) URL."]))
            .ToList();
    }

    /// <summary>Whether <paramref name="address"/> (an http(s) URL) is one of the peers or one of their resolved addresses.</summary>
    public async Task<bool> AllowsAsync(string address, CancellationToken cancellationToken)
    {
        if (!TryParse(address, out var target))
        {
            return false;
        }
        foreach (var (host, port) in _peers.Where(peer => peer.Port == target.Port))
        {
            if (string.Equals(host, target.Host, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
            if (IPAddress.TryParse(target.Host.Trim('[', ']'), out var targetIp) && !IPAddress.TryParse(host, out _)
                && (await ResolveAsync(host, cancellationToken).ConfigureAwait(false)).Contains(targetIp))
            {
                return true;
            }
        }
        return false;
    }

    private async Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken)
    {
        if (_resolved.TryGetValue(host, out var cached) && DateTime.UtcNow - cached.At < ResolveCache)
        {
            return cached.Addresses;
        }
        IPAddress[] addresses;
        try
        {
            addresses = await Dns.GetHostAddressesAsync(host, cancellationToken).ConfigureAwait(false);
        }
        catch (System.Net.Sockets.SocketException)
        {
            addresses = [];
        }
        _resolved[host] = (DateTime.UtcNow, addresses);
        return addresses;
    }

    private static bool TryParse(string value, out (string Host, int Port) endpoint)
    {
        endpoint = default;
        var withScheme = value.Contains("://", StringComparison.Ordinal) ? value : "http://" + value;
        if (!Uri.TryCreate(withScheme, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.Port <= 0
            || !(value.Contains("://", StringComparison.Ordinal) || value.Contains(':', StringComparison.Ordinal)))
        {
            return false;
        }
        endpoint = (uri.Host.Trim('[', ']'), uri.Port);
        return true;
    }
}
