namespace Omni.Orchestrator.OpenAi;

/// <summary>What a converter reads: the JSON body and the headers that carry request fields.</summary>
public sealed record OpenAiInput(JsonBody Body, string? RequestIdHeader)
{
    public const string RequestIdHeaderName = "X-Request-Id";
}
