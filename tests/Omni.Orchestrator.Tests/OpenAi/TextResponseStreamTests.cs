using System.Text;
using System.Text.Json;
using Grpc.Core;
using Microsoft.AspNetCore.Http;
using Omni.Contracts.V1;
using Omni.Orchestrator.OpenAi;

namespace Omni.Orchestrator.Tests.OpenAi;

public sealed class TextResponseStreamTests
{
    [Fact]
    public async Task WriteAsync_StageCancelledWhileAnEventIsWritten_StreamHoldsOnlyWholeEventsThenTheError()
    {
        // Another stage fails while this text event is being written: its writes are cancelled from then on, and the door
        // then writes the request's error as the stream's last event.
        using var stage = new CancellationTokenSource();
        var body = new CancellingBody(stage);
        var context = new DefaultHttpContext();
        context.Response.Body = body;
        var request = new GenerateRequest { Text = new TextParams() };
        var response = new TextResponse(context, new OpenAiCall(OpenAiApi.ChatCompletions, request, "omni-default") { Stream = true }, "r1", 0);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await response.WriteAsync(new GenerateResponse { Text = new TextDelta { Text = "Hi" } }, stage.Token);
            await response.WriteAsync(new GenerateResponse { Text = new TextDelta { Text = " there" } }, stage.Token);
        });
        await response.WriteErrorAsync(OpenAiErrors.FromStatus(new Status(StatusCode.Internal, "the talker failed"), OpenAiApi.ChatCompletions, null));

        var events = Encoding.UTF8.GetString(body.ToArray()).Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.All(events, line => Assert.StartsWith("data: ", line, StringComparison.Ordinal));
        var payloads = events.Select(line => line["data: ".Length..]).ToList();
        Assert.Equal("[DONE]", payloads[^1]);
        Assert.All(payloads[..^1], payload => JsonDocument.Parse(payload).Dispose());
        Assert.Contains("the talker failed", payloads[^2], StringComparison.Ordinal);
    }

    /// <summary>A response body whose first write cancels the stage's token, and which honours that token as Kestrel's does.</summary>
    private sealed class CancellingBody(CancellationTokenSource stage) : MemoryStream
    {
        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await base.WriteAsync(buffer, cancellationToken);
            await stage.CancelAsync();
        }

        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
