using Grpc.Core;
using Microsoft.AspNetCore.Http;

namespace Omni.Orchestrator.OpenAi;

/// <summary>
/// The HTTP door's errors in OpenAI's shape (<c>{"error": {"message", "type", "param", "code"}}</c>), from the pipeline's
/// gRPC statuses: 400 naming the OpenAI field, 401, 403, 404, 429 for RESOURCE_EXHAUSTED, 503, 504, 500.
/// </summary>
/// <remarks>
/// The door answers only a client still connected, so a CANCELLED status is a stage's (one shutting down, say), not the
/// client's: a server error like the rest, which OpenAI's clients retry.
/// </remarks>
public static class OpenAiErrors
{
    public static OpenAiRequestException FromStatus(Status status, OpenAiApi api, JsonBody? body)
    {
        var (http, type) = status.StatusCode switch
        {
            StatusCode.InvalidArgument or StatusCode.FailedPrecondition or StatusCode.OutOfRange => (400, "invalid_request_error"),
            StatusCode.Unauthenticated => (401, "authentication_error"),
            StatusCode.PermissionDenied => (403, "permission_error"),
            StatusCode.NotFound => (404, "not_found_error"),
            StatusCode.ResourceExhausted => (429, "rate_limit_error"),
            StatusCode.Unimplemented => (501, "server_error"),
            StatusCode.Unavailable => (503, "server_error"),
            StatusCode.DeadlineExceeded => (504, "timeout_error"),
            _ => (500, "server_error"),
        };
        var message = status.Detail;
        string? param = null;
        if (status.StatusCode == StatusCode.InvalidArgument)
        {
            // Validation names the proto field first ("text.temperature must be ..."): name the client's field instead.
            var field = message.Split(' ', 2)[0];
            param = OpenAiFields.ParamFor(api, field, body);
            if (param is not null)
            {
                message = param + message[field.Length..];
            }
        }
        return new OpenAiRequestException(http, param, message, type, CodeName(status.StatusCode));
    }

    public static async Task WriteAsync(HttpContext context, OpenAiRequestException error)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(error);
        context.Response.StatusCode = error.StatusCode;
        context.Response.ContentType = "application/json";
        await context.Response.Body.WriteAsync(Json(error), context.RequestAborted).ConfigureAwait(false);
    }

    public static byte[] Json(OpenAiRequestException error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return OpenAiJson.Write(json =>
        {
            json.WriteStartObject();
            json.WriteStartObject("error");
            json.WriteString("message", error.Message);
            json.WriteString("type", error.Type);
            json.WriteString("param", error.Param);
            json.WriteString("code", error.Code);
            json.WriteEndObject();
            json.WriteEndObject();
        });
    }

    private static string CodeName(StatusCode code) => code switch
    {
        StatusCode.InvalidArgument => "invalid_argument",
        StatusCode.ResourceExhausted => "resource_exhausted",
        StatusCode.DeadlineExceeded => "deadline_exceeded",
        StatusCode.Unavailable => "unavailable",
        StatusCode.Unauthenticated => "unauthenticated",
        _ => code.ToString().ToLowerInvariant(),
    };
}
