namespace Omni.Orchestrator.Configuration;

/// <summary>One stage of the pipeline: its replicas, its inputs from upstream stages and what it produces.</summary>
public sealed class StageOptions
{
    /// <summary>Unique; edges and logs name the stage by it.</summary>
    public string? Name { get; set; }

    /// <summary>The stage_id label of its metrics, unique in the pipeline; its replicas must report it. Defaults to its position.</summary>
    public int? StageId { get; set; }

    /// <summary>The kind its replicas must report (e.g. "ar", "diffusion").</summary>
    public string? Kind { get; set; }

    /// <summary>Static replica addresses, comma-separated (e.g. http://10.0.0.5:50051,http://10.0.0.6:50051).</summary>
    public string? Addresses { get; set; }

    /// <summary>A DNS name and port (host:port) re-resolved periodically, one replica per address (a headless Service).</summary>
    public string? Dns { get; set; }

    public double DnsRefreshSeconds { get; set; } = 5;

    /// <summary>The tensors this stage consumes, each edge from one upstream stage.</summary>
    public List<StageInputOptions> Inputs { get; set; } = [];

    /// <summary>Every output this stage can produce, by name (streams, tensors and client payloads).</summary>
    public List<string> Produces { get; set; } = [];

    /// <summary>The outputs it sends to the client, by modality name ("text", "image"); each modality comes from one stage.</summary>
    public List<string> ClientOutputs { get; set; } = [];

    public IReadOnlyList<string> StaticAddresses() =>
        (Addresses ?? "").Split([',', ' ', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public static bool TryParseDns(string dns, out string host, out int port)
    {
        host = "";
        port = 0;
        var colon = dns.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(dns[(colon + 1)..], out port) || port is < 1 or > 65535)
        {
            return false;
        }
        host = dns[..colon];
        return true;
    }
}
