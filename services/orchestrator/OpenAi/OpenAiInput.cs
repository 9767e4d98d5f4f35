namespace Omni.Orchestrator.OpenAi;

/// <summary>What a converter reads: the JSON body, the headers that carry request fields, and the model's chat template.</summary>
public sealed record OpenAiInput(JsonBody Body, string? RequestIdHeader)
{
    public const string RequestIdHeaderName = "X-Request-Id";

    /// <summary>The checkpoint's chat template; null: ChatML.</summary>
    public CheckpointChatTemplate.Compiled? ChatTemplate { get; init; }
}
