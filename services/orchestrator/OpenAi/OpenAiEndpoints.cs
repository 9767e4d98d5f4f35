using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Omni.Common.Hosting;

namespace Omni.Orchestrator.OpenAi;

/// <summary>Maps the HTTP door's routes, on its own port only.</summary>
public static class OpenAiEndpoints
{
    public const string PathPrefix = "/v1/";

    public static WebApplication MapOpenAiDoor(this WebApplication app, int port)
    {
        ArgumentNullException.ThrowIfNull(app);
        var host = $"*:{port}";
        var started = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        app.MapPost("/v1/chat/completions", (HttpContext context, OpenAiDoor door) => door.HandleAsync(context, OpenAiApi.ChatCompletions)).RequireHost(host);
        app.MapPost("/v1/completions", (HttpContext context, OpenAiDoor door) => door.HandleAsync(context, OpenAiApi.Completions)).RequireHost(host);
        app.MapPost("/v1/images/generations", (HttpContext context, OpenAiDoor door) => door.HandleAsync(context, OpenAiApi.ImageGenerations))
            .RequireHost(host);
        // vLLM-Omni's synchronous video endpoint only: the clip's bytes stream back as the response body. Its asynchronous
        // job API (POST /v1/videos, then GET /v1/videos/{id} and /v1/videos/{id}/content, list and DELETE) would need a
        // store for jobs and their clips, and this orchestrator is stateless: those paths answer 404.
        app.MapPost("/v1/videos/sync", (HttpContext context, OpenAiDoor door) => door.HandleAsync(context, OpenAiApi.VideoGenerations))
            .RequireHost(host);
        app.MapGet("/v1/models", (OpenAiDoor door) => Results.Bytes(OpenAiJson.Write(json =>
        {
            json.WriteStartObject();
            json.WriteString("object", "list");
            json.WriteStartArray("data");
            json.WriteStartObject();
            json.WriteString("id", door.ModelName);
            json.WriteString("object", "model");
            json.WriteNumber("created", started);
            json.WriteString("owned_by", "omni");
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteEndObject();
        }), "application/json")).RequireHost(host);
        // Ready as the gRPC health service says: 200 while text can be served, 503 otherwise.
        app.MapGet("/health", (HealthCheckService health, CancellationToken cancellationToken) => ServiceDefaults.ReadyAsync(health, cancellationToken))
            .RequireHost(host);
        app.MapFallback(PathPrefix + "{**rest}", (HttpContext context) => OpenAiErrors.WriteAsync(context,
            new OpenAiRequestException(StatusCodes.Status404NotFound, null, $"{context.Request.Method} {context.Request.Path} is not an endpoint of this server.",
                "not_found_error", "unknown_url"))).RequireHost(host);
        return app;
    }

    /// <summary>The bearer-token refusal in OpenAI's error shape.</summary>
    public static Task RejectAsync(HttpContext context, string message) =>
        OpenAiErrors.WriteAsync(context, new OpenAiRequestException(StatusCodes.Status401Unauthorized, null, message, "authentication_error", "invalid_api_key"));
}
