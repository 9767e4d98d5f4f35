using Grpc.Core;
using Microsoft.AspNetCore.Http;
using Omni.Contracts.V1;

namespace Omni.Orchestrator.OpenAi;

/// <summary>
/// Receives the pipeline's responses for one HTTP request, as the gRPC door's call stream would, and answers in
/// OpenAI's shape: one JSON body at the final message, or server-sent events as the payloads arrive.
/// </summary>
public abstract class OpenAiResponse(HttpContext context) : IServerStreamWriter<GenerateResponse>
{
    private static readonly byte[] Done = "data: [DONE]\n\n"u8.ToArray();

    protected HttpContext Context { get; } = context;

    /// <summary>Whether the response's headers went out (an event stream, or a video's bytes): a later error cannot be a status.</summary>
    public bool Started { get; protected set; }

    public WriteOptions? WriteOptions { get; set; }

    public Task WriteAsync(GenerateResponse message) => WriteAsync(message, CancellationToken.None);

    public abstract Task WriteAsync(GenerateResponse message, CancellationToken cancellationToken);

    public virtual async Task WriteErrorAsync(OpenAiRequestException error)
    {
        ArgumentNullException.ThrowIfNull(error);
        if (!Started)
        {
            await OpenAiErrors.WriteAsync(Context, error).ConfigureAwait(false);
            return;
        }
        // The status line is gone: the error is the stream's last event, as vLLM sends it.
        await SendEventAsync(OpenAiErrors.Json(error), Context.RequestAborted).ConfigureAwait(false);
        await Context.Response.Body.WriteAsync(Done, Context.RequestAborted).ConfigureAwait(false);
    }

    protected async Task WriteBodyAsync(byte[] json, CancellationToken cancellationToken)
    {
        Context.Response.ContentType = "application/json";
        Context.Response.ContentLength = json.Length;
        await Context.Response.Body.WriteAsync(json, cancellationToken).ConfigureAwait(false);
    }

    protected async Task SendEventAsync(byte[] json, CancellationToken cancellationToken)
    {
        if (!Started)
        {
            Started = true;
            Context.Response.ContentType = "text/event-stream; charset=utf-8";
            Context.Response.Headers.CacheControl = "no-cache";
        }
        // One write: a cancellation between the parts of an event (a failing stage cancels the others' writes) would leave
        // half an event in the stream, and the error event after it unparseable.
        var data = "data: "u8;
        var end = "\n\n"u8;
        var message = new byte[data.Length + json.Length + end.Length];
        data.CopyTo(message);
        json.CopyTo(message.AsSpan(data.Length));
        end.CopyTo(message.AsSpan(data.Length + json.Length));
        var body = Context.Response.Body;
        await body.WriteAsync(message, cancellationToken).ConfigureAwait(false);
        await body.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    protected async Task SendDoneAsync(CancellationToken cancellationToken)
    {
        await Context.Response.Body.WriteAsync(Done, cancellationToken).ConfigureAwait(false);
        await Context.Response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
    }
}
