using System.ClientModel;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Grpc.Reflection.V1Alpha;
using Omni.Cli.Client;
using Omni.Contracts.V1;
using OpenAI;
using OpenAI.Chat;

namespace Omni.IntegrationTests;

/// <summary>Who may call what: the public API behind an optional bearer token, server reflection only when enabled.</summary>
[Collection(PipelineCollection.Name)]
public sealed class AccessTests(PipelineFixture fixture)
{
    private const string Token = "s3cret-token";

    [Fact]
    public async Task Generate_BearerTokenConfiguredAndNoneSent_Unauthenticated()
    {
        await using var orchestrator = await fixture.Pipeline.StartOrchestratorAsync(["--bearer-token", Token], CancellationToken.None);
        using var client = new OmniClient(orchestrator.GrpcAddress);

        var error = await Assert.ThrowsAsync<RpcException>(() => client.GenerateAsync(Requests.Text(maxTokens: 2)));

        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
    }

    [Fact]
    public async Task Generate_BearerTokenConfiguredAndAWrongOneSent_Unauthenticated()
    {
        await using var orchestrator = await fixture.Pipeline.StartOrchestratorAsync(["--bearer-token", Token], CancellationToken.None);
        using var channel = GrpcChannel.ForAddress(orchestrator.GrpcAddress);

        var error = await Assert.ThrowsAsync<RpcException>(() => GenerateAsync(channel, "not-" + Token));

        Assert.Equal((StatusCode.Unauthenticated, "The bearer token is not valid."), (error.StatusCode, error.Status.Detail));
    }

    [Fact]
    public async Task Generate_BearerTokenFromAFile_TheRightTokenIsServed()
    {
        var file = Path.Combine(Path.GetTempPath(), $"omni-token-{Guid.NewGuid():N}");
        await File.WriteAllTextAsync(file, Token + "\n");
        await using var orchestrator = await fixture.Pipeline.StartOrchestratorAsync(["--bearer-token-file", file], CancellationToken.None);
        using var channel = GrpcChannel.ForAddress(orchestrator.GrpcAddress);

        var final = await GenerateAsync(channel, Token);

        Assert.Equal(FinishReason.Length, final.FinishReason);
    }

    [Fact]
    public async Task HttpDoor_BearerTokenConfiguredAndAWrongOneSent_401InOpenAisShape()
    {
        await using var orchestrator = await fixture.Pipeline.StartOrchestratorAsync(["--bearer-token", Token], CancellationToken.None);
        var client = new ChatClient("omni-default", new ApiKeyCredential("not-" + Token),
            new OpenAIClientOptions { Endpoint = new Uri(orchestrator.HttpAddress + "/v1"), RetryPolicy = null });

        var error = await Assert.ThrowsAsync<ClientResultException>(() => client.CompleteChatAsync([new UserChatMessage("Hi")]));

        Assert.Equal(401, error.Status);
        Assert.Contains("\"type\":\"authentication_error\"", error.GetRawResponse()!.Content.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task HttpDoor_BearerTokenConfiguredAndSent_Served()
    {
        await using var orchestrator = await fixture.Pipeline.StartOrchestratorAsync(["--bearer-token", Token], CancellationToken.None);
        var client = new ChatClient("omni-default", new ApiKeyCredential(Token), new OpenAIClientOptions { Endpoint = new Uri(orchestrator.HttpAddress + "/v1") });

        ChatCompletion completion = await client.CompleteChatAsync([new UserChatMessage("Hi")], new ChatCompletionOptions { MaxOutputTokenCount = 2 });

        Assert.Equal(ChatFinishReason.Length, completion.FinishReason);
    }

    [Fact]
    public async Task Generate_BearerTokenConfiguredAndThePathInAnotherCase_Unauthenticated()
    {
        // Routing matches a path's literal segments in any case: so must the check in front of it.
        await using var orchestrator = await fixture.Pipeline.StartOrchestratorAsync(["--bearer-token", Token], CancellationToken.None);
        using var channel = GrpcChannel.ForAddress(orchestrator.GrpcAddress);
        var generate = new Method<GenerateRequest, GenerateResponse>(MethodType.ServerStreaming, "OMNI.V1.OMNI", "Generate",
            Marshallers.Create(request => request.ToByteArray(), GenerateRequest.Parser.ParseFrom),
            Marshallers.Create(response => response.ToByteArray(), GenerateResponse.Parser.ParseFrom));

        var error = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            using var call = channel.CreateCallInvoker().AsyncServerStreamingCall(generate, null, new CallOptions(), Requests.Text(maxTokens: 2));
            while (await call.ResponseStream.MoveNext(CancellationToken.None))
            {
            }
        });

        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
    }

    [Fact]
    public async Task HttpDoor_BearerTokenConfiguredAndThePathInAnotherCase_401()
    {
        await using var orchestrator = await fixture.Pipeline.StartOrchestratorAsync(["--bearer-token", Token], CancellationToken.None);
        using var http = new HttpClient();

        using var response = await http.PostAsync(orchestrator.HttpAddress + "/V1/chat/completions",
            new StringContent("""{"messages":[{"role":"user","content":"Hi"}],"max_tokens":2}""", System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Reflection_Default_Unimplemented()
    {
        using var channel = GrpcChannel.ForAddress(fixture.Pipeline.Orchestrator.GrpcAddress);

        var error = await Assert.ThrowsAsync<RpcException>(() => ListServicesAsync(channel));

        Assert.Equal(StatusCode.Unimplemented, error.StatusCode);
    }

    [Fact]
    public async Task Reflection_Enabled_ListsThePublicService()
    {
        await using var orchestrator = await fixture.Pipeline.StartOrchestratorAsync(["--enable-reflection"], CancellationToken.None);
        using var channel = GrpcChannel.ForAddress(orchestrator.GrpcAddress);

        Assert.Contains("omni.v1.Omni", await ListServicesAsync(channel));
    }

    private static async Task<GenerateFinal> GenerateAsync(GrpcChannel channel, string token)
    {
        var headers = new Metadata { { "authorization", $"Bearer {token}" } };
        using var call = new Contracts.V1.Omni.OmniClient(channel).Generate(Requests.Text(maxTokens: 2), headers);
        GenerateFinal? final = null;
        await foreach (var response in call.ResponseStream.ReadAllAsync())
        {
            final = response.Final ?? final;
        }
        return final!;
    }

    private static async Task<List<string>> ListServicesAsync(GrpcChannel channel)
    {
        using var call = new ServerReflection.ServerReflectionClient(channel).ServerReflectionInfo();
        try
        {
            await call.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = "" });
            await call.RequestStream.CompleteAsync();
        }
        catch (RpcException)
        {
            // The server may end the call before it reads the request (UNIMPLEMENTED); the status comes with the responses.
        }
        var names = new List<string>();
        await foreach (var response in call.ResponseStream.ReadAllAsync())
        {
            names.AddRange(response.ListServicesResponse.Service.Select(service => service.Name));
        }
        return names;
    }
}
