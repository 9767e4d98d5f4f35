using Omni.Testing;
using System.Diagnostics;
using System.Text.Json;

namespace Omni.IntegrationTests;

/// <summary>
/// The HTTP door through the official OpenAI client for TypeScript/JavaScript (npm <c>openai</c>, pinned in
/// tests/openai-node, installed by scripts/test.sh): tests/openai-node/door.mjs makes its calls once, and each test
/// compares one of its answers with the gRPC door's for the same seed.
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed class OpenAiTypeScriptClientTests(PipelineFixture fixture)
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static JsonElement? _results;

    [Fact]
    public async Task ChatCompletion_TypeScriptClient_SameTokenIdsAndLogprobsAsTheGrpcDoor()
    {
        var chat = (await ResultsAsync()).GetProperty("chat");
        var grpc = await fixture.Client.GenerateAsync(OpenAiDoorTests.ChatOverGrpc(maxTokens: 8, seed: 7, logprobs: 2));

        Assert.Equal(grpc.TokenIds, Ints(chat.GetProperty("tokenIds")));
        Assert.Equal(grpc.Text, chat.GetProperty("text").GetString());
        Assert.Equal(grpc.Logprobs.Select(entry => (entry.Token, entry.Logprob)),
            chat.GetProperty("logprobs").EnumerateArray().Select(entry => (entry.GetProperty("token").GetString()!, entry.GetProperty("logprob").GetSingle())));
        Assert.Equal("length", chat.GetProperty("finishReason").GetString());
    }

    [Fact]
    public async Task ChatCompletionStreamed_TypeScriptClient_SameTokenIdsAsTheGrpcDoorAndTheUsage()
    {
        var stream = (await ResultsAsync()).GetProperty("stream");
        var grpc = await fixture.Client.GenerateAsync(OpenAiDoorTests.ChatOverGrpc(maxTokens: 8, seed: 7));

        Assert.Equal(grpc.TokenIds, Ints(stream.GetProperty("tokenIds")));
        Assert.Equal(grpc.Text, stream.GetProperty("text").GetString());
        Assert.Equal((int)grpc.Final.Usage.CompletionTokens, stream.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.True(stream.GetProperty("chunks").GetInt32() >= 8 + 2, "a chunk per token, the finish chunk and the usage chunk");
    }

    [Fact]
    public async Task Completion_TypeScriptClient_SameTokenIdsAsTheGrpcDoor()
    {
        var completion = (await ResultsAsync()).GetProperty("completion");
        var grpc = await fixture.Client.GenerateAsync(Requests.Text("Once upon a time", maxTokens: 6, seed: 3));

        Assert.Equal(grpc.TokenIds, Ints(completion.GetProperty("tokenIds")));
        Assert.Equal(grpc.Text, completion.GetProperty("text").GetString());
    }

    [Fact]
    public async Task ImageGeneration_TypeScriptClient_SameBytesAsTheGrpcDoor()
    {
        var image = (await ResultsAsync()).GetProperty("image");
        var grpc = await fixture.Client.GenerateAsync(Requests.Image("A red square", 64, 64, steps: 3, seed: 11));

        Assert.Equal(grpc.Image!.Data.ToByteArray(), Convert.FromBase64String(image.GetProperty("b64").GetString()!));
        Assert.Equal("64x64", image.GetProperty("size").GetString());
    }

    [Fact]
    public async Task ChatCompletion_TypeScriptClientWithTemperatureOutOfRange_BadRequestNamingTheField()
    {
        var error = (await ResultsAsync()).GetProperty("error");

        Assert.Equal((400, "temperature", "invalid_request_error"),
            (error.GetProperty("status").GetInt32(), error.GetProperty("param").GetString(), error.GetProperty("type").GetString()));
    }

    private static int[] Ints(JsonElement array) => [.. array.EnumerateArray().Select(item => item.GetInt32())];

    private async Task<JsonElement> ResultsAsync()
    {
        await Gate.WaitAsync();
        try
        {
            return _results ??= await RunScriptAsync(fixture.Pipeline.Orchestrator.HttpAddress + "/v1");
        }
        finally
        {
            Gate.Release();
        }
    }

    private static async Task<JsonElement> RunScriptAsync(string baseUrl)
    {
        var folder = Path.Combine(RepositoryPaths.Root, "tests", "openai-node");
        Assert.True(Directory.Exists(Path.Combine(folder, "node_modules", "openai")),
            $"The npm package openai is not installed in {folder}: run 'npm ci' there (scripts/test.sh does).");
        var start = new ProcessStartInfo("node") { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("door.mjs");
        start.ArgumentList.Add(baseUrl);
        start.ArgumentList.Add("omni-default");
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"node door.mjs exited {process.ExitCode}:\n{await errors}");
        using var document = JsonDocument.Parse(await output);
        return document.RootElement.Clone();
    }

}
