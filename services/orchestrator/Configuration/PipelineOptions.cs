using System.ComponentModel.DataAnnotations;

namespace Omni.Orchestrator.Configuration;

/// <summary>The pipeline this orchestrator serves: its stages in order, their replicas, and the admission limits.</summary>
public sealed class PipelineOptions : IValidatableObject
{
    public const string SectionName = "Pipeline";

    /// <summary>The model_name label of the pipeline-level metrics.</summary>
    [Required]
    public string ModelName { get; set; } = "omni-default";

    /// <summary>The stages in order: stage 0 the AR stage, stage 1 the diffusion stage.</summary>
    public List<StageRouteOptions> Stages { get; set; } = [];

    /// <summary>Requests processed at once; more wait in the queue.</summary>
    [Range(1, 100_000)]
    public int MaxInflight { get; set; } = 64;

    /// <summary>Requests allowed to wait for a slot; beyond it new requests get RESOURCE_EXHAUSTED.</summary>
    [Range(0, 1_000_000)]
    public int MaxWaiting { get; set; } = 256;

    /// <summary>The configured stages, with the defaults of the two-stage pipeline filled in.</summary>
    public IReadOnlyList<StageRouteOptions> ResolvedStages()
    {
        var defaults = new[]
        {
            new StageRouteOptions { Name = "ar", Kind = "ar", Addresses = "http://127.0.0.1:50061", Passes = "hidden_states" },
            new StageRouteOptions { Name = "diffusion", Kind = "diffusion", Addresses = "http://127.0.0.1:50062" },
        };
        return defaults.Select((fallback, index) =>
        {
            var configured = index < Stages.Count ? Stages[index] : null;
            return configured is null ? fallback : configured.WithDefaults(fallback);
        }).ToList();
    }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Stages.Count > 2)
        {
            yield return new ValidationResult("The pipeline has two stages (ar, diffusion); more are configured.", [nameof(Stages)]);
        }
        var stages = ResolvedStages();
        string[] kinds = ["ar", "diffusion"];
        for (var i = 0; i < stages.Count; i++)
        {
            var stage = stages[i];
            if (stage.Kind != kinds[i])
            {
                yield return new ValidationResult($"Stage {i} must be of kind '{kinds[i]}', not '{stage.Kind}'.", [$"Stages:{i}:Kind"]);
            }
            if (stage.StaticAddresses().Count == 0 && string.IsNullOrWhiteSpace(stage.Dns))
            {
                yield return new ValidationResult($"Stage {i} ({stage.Name}) needs Addresses or Dns.", [$"Stages:{i}"]);
            }
            foreach (var address in stage.StaticAddresses())
            {
                if (!Uri.TryCreate(address, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                {
                    yield return new ValidationResult($"Stage {i} address '{address}' is not an http(s) URL.", [$"Stages:{i}:Addresses"]);
                }
            }
            if (!string.IsNullOrWhiteSpace(stage.Dns) && !StageRouteOptions.TryParseDns(stage.Dns, out _, out _))
            {
                yield return new ValidationResult($"Stage {i} Dns '{stage.Dns}' must be host:port.", [$"Stages:{i}:Dns"]);
            }
            if (stage.MaxChunksInFlight is < 1 or > 1024)
            {
                yield return new ValidationResult($"Stage {i} MaxChunksInFlight must be in [1, 1024].", [$"Stages:{i}:MaxChunksInFlight"]);
            }
            if (stage.DnsRefreshSeconds is < 0.1 or > 3600)
            {
                yield return new ValidationResult($"Stage {i} DnsRefreshSeconds must be in [0.1, 3600].", [$"Stages:{i}:DnsRefreshSeconds"]);
            }
        }
    }
}

/// <summary>How the payload of an edge travels from one stage to the next.</summary>
public enum Connector
{
    /// <summary>Chunks pass through the orchestrator.</summary>
    Relay,

    /// <summary>The upstream stage streams chunks straight to the bound downstream replica.</summary>
    Direct,
}

/// <summary>One stage of the pipeline: its replicas and the edge to the next stage.</summary>
public sealed class StageRouteOptions
{
    public string? Name { get; set; }

    /// <summary>"ar" or "diffusion".</summary>
    public string? Kind { get; set; }

    /// <summary>Static replica addresses, comma-separated (e.g. http://10.0.0.5:50051,http://10.0.0.6:50051).</summary>
    public string? Addresses { get; set; }

    /// <summary>A DNS name and port (host:port) re-resolved periodically, one replica per address (a headless Service).</summary>
    public string? Dns { get; set; }

    public double DnsRefreshSeconds { get; set; } = 5;

    /// <summary>The tensor this stage passes to the next.</summary>
    public string? Passes { get; set; }

    /// <summary>How that tensor travels to the next stage.</summary>
    public Connector Connector { get; set; } = Connector.Relay;

    /// <summary>Bound on chunks in flight on the edge to the next stage.</summary>
    public int MaxChunksInFlight { get; set; } = 8;

    public IReadOnlyList<string> StaticAddresses() =>
        (Addresses ?? "").Split([',', ' ', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public StageRouteOptions WithDefaults(StageRouteOptions fallback) => new()
    {
        Name = string.IsNullOrWhiteSpace(Name) ? fallback.Name : Name,
        Kind = string.IsNullOrWhiteSpace(Kind) ? fallback.Kind : Kind,
        Addresses = string.IsNullOrWhiteSpace(Addresses) && string.IsNullOrWhiteSpace(Dns) ? fallback.Addresses : Addresses,
        Dns = Dns,
        DnsRefreshSeconds = DnsRefreshSeconds,
        Passes = string.IsNullOrWhiteSpace(Passes) ? fallback.Passes : Passes,
        Connector = Connector,
        MaxChunksInFlight = MaxChunksInFlight,
    };

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
