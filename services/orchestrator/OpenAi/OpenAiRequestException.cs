namespace Omni.Orchestrator.OpenAi;

/// <summary>A request the HTTP door refuses before it reaches the pipeline, with the OpenAI error it answers.</summary>
public sealed class OpenAiRequestException(int statusCode, string? param, string message, string type = "invalid_request_error", string? code = null)
    : Exception(message)
{
    public int StatusCode { get; } = statusCode;

    /// <summary>The request field at fault, by its name in the OpenAI request (null when no one field is).</summary>
    public string? Param { get; } = param;

    public string Type { get; } = type;

    public string? Code { get; } = code;

    public static OpenAiRequestException Invalid(string? param, string message) => new(400, param, message);
}
