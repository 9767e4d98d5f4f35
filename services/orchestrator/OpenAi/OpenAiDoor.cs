using System.Text.Json;
using Grpc.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Omni.Common.Validation;
using Omni.Orchestrator.Configuration;
using Omni.Orchestrator.Pipeline;

namespace Omni.Orchestrator.OpenAi;

/// <summary>
/// The OpenAI-compatible HTTP door: reads the JSON, converts it (<see cref="OpenAiRequestConverter"/>), hands the
/// request to the same <see cref="GenerateHandler"/> as the gRPC door (which validates, admits and counts it in the
/// pipeline metrics as it does the gRPC door's), and answers in OpenAI's shape.
/// </summary>
public sealed class OpenAiDoor(GenerateHandler handler, CheckpointChatTemplate chatTemplate, IOptions<PipelineOptions> pipeline)
{
    /// <summary>Largest request body: a full prompt of JSON-escaped text with room to spare.</summary>
    public const long MaxBodyBytes = 1 << 20;

    public string ModelName { get; } = pipeline.Value.ModelName;

    public async Task HandleAsync(HttpContext context, OpenAiApi api)
    {
        ArgumentNullException.ThrowIfNull(context);
        var created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        OpenAiCall call;
        JsonBody? body = null;
        JsonDocument? document = null;
        try
        {
            document = await ReadAsync(context).ConfigureAwait(false);
            body = JsonBody.Parse(document);
            var input = new OpenAiInput(body.Value, context.Request.Headers[OpenAiInput.RequestIdHeaderName].FirstOrDefault())
            {
                ChatTemplate = api == OpenAiApi.ChatCompletions ? chatTemplate.Current() : null,
            };
            call = OpenAiRequestConverter.Convert(api, input, ModelName);
            // The id goes back in a response header before the pipeline validates the request, and a header cannot carry
            // every string: one the pipeline would refuse is refused here, by the same rule, naming the header.
            try
            {
                RequestValidator.ValidateRequestId(call.Request.RequestId);
            }
            catch (RpcException invalid)
            {
                throw OpenAiErrors.FromStatus(invalid.Status, api, body);
            }
        }
        catch (OpenAiRequestException refused)
        {
            document?.Dispose();
            handler.OnRefusedAtTheDoor(refused.StatusCode < 500 ? FailureReason.InvalidArgument : FailureReason.StageError);
            await OpenAiErrors.WriteAsync(context, refused).ConfigureAwait(false);
            return;
        }
        using var _ = document;

        // The id is known before the first byte goes out, so the response header and every chunk can carry it.
        if (call.Request.RequestId.Length == 0)
        {
            call.Request.RequestId = Guid.NewGuid().ToString("N");
        }
        var requestId = call.Request.RequestId;
        context.Response.Headers[OpenAiInput.RequestIdHeaderName] = requestId;
        OpenAiResponse response = api switch
        {
            OpenAiApi.ImageGenerations => new ImageResponse(context, requestId, created),
            OpenAiApi.VideoGenerations => new VideoResponse(context, call.Request.Video),
            _ => new TextResponse(context, call, requestId, created),
        };
        try
        {
            await handler.HandleAsync(call.Request, response, null, context.RequestAborted).ConfigureAwait(false);
        }
        catch (RpcException failed) when (!context.RequestAborted.IsCancellationRequested)
        {
            await response.WriteErrorAsync(OpenAiErrors.FromStatus(failed.Status, api, body)).ConfigureAwait(false);
        }
        catch (RpcException)
        {
            // The client went away: nobody is left to answer.
        }
    }

    private static async Task<JsonDocument> ReadAsync(HttpContext context)
    {
        // Refused from its declared length before any of it is read, so that a client that waits for
        // "100 Continue" (curl does past 1 MiB) gets the 413 without sending the body.
        if (context.Request.ContentLength > MaxBodyBytes)
        {
            throw new OpenAiRequestException(StatusCodes.Status413PayloadTooLarge, null, $"The request body is larger than {MaxBodyBytes} bytes.");
        }
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = MaxBodyBytes;
        }
        try
        {
            return await JsonDocument.ParseAsync(context.Request.Body, new JsonDocumentOptions { MaxDepth = 16 }, context.RequestAborted)
                .ConfigureAwait(false);
        }
        catch (JsonException invalid)
        {
            throw OpenAiRequestException.Invalid(null, $"The request body is not valid JSON: {invalid.Message}");
        }
        catch (BadHttpRequestException tooLarge) when (tooLarge.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw new OpenAiRequestException(tooLarge.StatusCode, null, $"The request body is larger than {MaxBodyBytes} bytes.");
        }
    }
}
