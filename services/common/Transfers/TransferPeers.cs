using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Options;

namespace Omni.Common.Transfers;

/// <summary>
/// The addresses this stage may push to: its configured peers, DNS names resolved (and cached for a few seconds)
/// when a push is asked for. A stage never connects to an address only a request names.
/// </summary>
/// <remarks>
/// The orchestrator binds replicas from its own lookups, which need not agree with this cache: an address missing from
/// a cached answer is looked up again at once (a replica just scaled out), and one a lookup returned within the last
/// <see cref="RecentlyResolved"/> is still a peer's (a replica leaving DNS while its pre-stop sleep still serves).
/// </remarks>
public sealed class TransferPeers
{
    private static readonly TimeSpan ResolveCache = TimeSpan.FromSeconds(5);

    /// <summary>How long an address a lookup returned stays a peer's after it leaves the answers.</summary>
    public static readonly TimeSpan RecentlyResolved = TimeSpan.FromSeconds(30);

    private readonly IReadOnlyList<(string Host, int Port)> _peers;
    private readonly Func<string, CancellationToken, Task<IPAddress[]>> _resolve;
    private readonly ConcurrentDictionary<string, Resolution> _resolved = new(StringComparer.OrdinalIgnoreCase);

    public TransferPeers(IOptions<TransferOptions> options)
        : this(options, Dns.GetHostAddressesAsync)
    {
    }

    /// <param name="resolve">Looks a host name up (tests give their own).</param>
    public TransferPeers(IOptions<TransferOptions> options, Func<string, CancellationToken, Task<IPAddress[]>> resolve)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(resolve);
        _resolve = resolve;
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
                && ((await ResolveAsync(host, fresh: false, cancellationToken).ConfigureAwait(false)).Allows(targetIp)
                    || (await ResolveAsync(host, fresh: true, cancellationToken).ConfigureAwait(false)).Allows(targetIp)))
            {
                return true;
            }
        }
        return false;
    }

    private async Task<Resolution> ResolveAsync(string host, bool fresh, CancellationToken cancellationToken)
    {
        var now = DateTime.UtcNow;
        var known = _resolved.GetValueOrDefault(host);
        if (known is not null && (fresh ? now - known.At < TimeSpan.FromMilliseconds(100) : now - known.At < ResolveCache))
        {
            return known;
        }
        IPAddress[] addresses;
        try
        {
            addresses = await _resolve(host, cancellationToken).ConfigureAwait(false);
        }
        catch (System.Net.Sockets.SocketException)
        {
            addresses = [];
        }
        var resolution = new Resolution(now, addresses, known);
        _resolved[host] = resolution;
        return resolution;
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

    /// <summary>One lookup's answer, and when each address a lookup returned was last seen.</summary>
    private sealed class Resolution
    {
        private readonly Dictionary<IPAddress, DateTime> _lastSeen;

        public Resolution(DateTime at, IPAddress[] addresses, Resolution? before)
        {
            At = at;
            _lastSeen = before is null ? [] : before._lastSeen.Where(seen => at - seen.Value < RecentlyResolved).ToDictionary();
            foreach (var address in addresses)
            {
                _lastSeen[address] = at;
            }
        }

        public DateTime At { get; }

        public bool Allows(IPAddress address) => _lastSeen.ContainsKey(address);
    }
}
