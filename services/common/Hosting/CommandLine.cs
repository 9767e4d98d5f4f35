namespace Omni.Common.Hosting;

/// <summary>
/// Maps the documented command-line flags onto configuration keys, so every setting can come from flags,
/// environment variables (e.g. <c>Stage__ReplicaId</c>) or appsettings alike.
/// </summary>
public static class CommandLine
{
    public static readonly IReadOnlyDictionary<string, string> CommonSwitches = new Dictionary<string, string>
    {
        ["--host"] = "Endpoints:Host",
        ["--grpc-port"] = "Endpoints:GrpcPort",
        ["--metrics-port"] = "Endpoints:MetricsPort",
        ["--http-port"] = "Endpoints:HttpPort",
        ["--max-message-bytes"] = "Endpoints:MaxMessageBytes",
        ["--http2-stream-window-bytes"] = "Endpoints:Http2StreamWindowBytes",
        ["--http2-connection-window-bytes"] = "Endpoints:Http2ConnectionWindowBytes",
        ["--disable-log-stats"] = "Metrics:DisableLogStats",
        ["--enable-reflection"] = "Endpoints:EnableReflection",
        ["--tls-cert"] = "Tls:CertificateFile",
        ["--tls-key"] = "Tls:KeyFile",
        ["--tls-ca"] = "Tls:CaFile",
        ["--tls-require-client-cert"] = "Tls:RequireClientCertificate",
    };

    /// <summary>Flags that may be given without a value; they mean "true".</summary>
    public static readonly IReadOnlySet<string> BooleanSwitches = new HashSet<string> { "--disable-log-stats", "--enable-reflection", "--tls-require-client-cert" };

    /// <summary>Rewrites bare boolean flags (<c>--disable-log-stats</c>) as <c>--disable-log-stats=true</c>.</summary>
    public static string[] Normalize(string[] args)
    {
        var result = new List<string>(args.Length);
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            var nextIsValue = i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal);
            if (BooleanSwitches.Contains(arg) && !(nextIsValue && bool.TryParse(args[i + 1], out _)))
            {
                result.Add(arg + "=true");
                continue;
            }
            result.Add(arg);
        }
        return [.. result];
    }

    public static IDictionary<string, string> Switches(IReadOnlyDictionary<string, string> serviceSwitches)
    {
        var all = new Dictionary<string, string>(CommonSwitches);
        foreach (var (flag, key) in serviceSwitches)
        {
            all[flag] = key;
        }
        return all;
    }
}
