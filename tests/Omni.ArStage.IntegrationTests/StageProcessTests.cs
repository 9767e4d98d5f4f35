using Grpc.Core;
using Omni.Contracts.V1;

namespace Omni.ArStage.IntegrationTests;

/// <summary>The real AR stage process over gRPC: streaming, batching, sampling outputs, hidden states, validation.</summary>
[Collection(ArStageCollection.Name)]
public sealed class StageProcessTests(ArStageProcesses stages)
{
    private static readonly string[] Prompts =
        ["Hello, world!", "The quick brown fox", "Once upon a time, in a land far away", "A", "1 2 3 4 5 6", "To be or not to be"];

    [Fact]
    public async Task Process_ForwardToAnAddressThatIsNoPeer_PermissionDeniedAndNoConnectionMade()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        var header = StageEndpoint.TextRequest("Hello", 2);
        var target = new DirectTarget { Address = $"http://127.0.0.1:{port}", TransferId = "t1" };
        target.Tensors.Add("hidden_states");
        header.ForwardTo.Add(target);

        var error = await Assert.ThrowsAsync<RpcException>(() => stages.Main.CallAsync(header));

        Assert.Equal(StatusCode.PermissionDenied, error.StatusCode);
        Assert.StartsWith($"forward_to[0].address 'http://127.0.0.1:{port}' is not one of this stage's transfer peers", error.Status.Detail);
        await Task.Delay(200);
        Assert.False(listener.Pending());
    }

    [Fact]
    public async Task Process_BurstOfSixteen_TwoRunTwoWaitTwelveResourceExhausted()
    {
        // Every call is in flight before the first is answered: admission must hold against what is already queued.
        var calls = Enumerable.Range(0, 16).Select(async i =>
        {
            try
            {
                await stages.Bounded.CallAsync(StageEndpoint.TextRequest(Prompts[i % Prompts.Length], 160, text => text.IgnoreEos = true));
                return StatusCode.OK;
            }
            catch (RpcException error)
            {
                return error.StatusCode;
            }
        }).ToList();

        var codes = await Task.WhenAll(calls);

        Assert.Equal((4, 12), (codes.Count(code => code == StatusCode.OK), codes.Count(code => code == StatusCode.ResourceExhausted)));
    }

    [Fact]
    public async Task Process_NegativeRunRejectedByTheKvCache_MainRunIsAbortedNotOrphaned()
    {
        // Tight has 48 KV slots: the request (4 + 40 tokens) fits, its negative prompt does not.
        var abortsBefore = Sum(await Http.GetStringAsync(stages.Tight.Process.MetricsAddress), "vllm:request_success_total", "abort");
        var header = StageEndpoint.TextRequest("Hello, world!", 40, text => text.IgnoreEos = true);
        header.Outputs.Add("hidden_states");
        header.Outputs.Add("negative_hidden_states");
        header.Image = new ImageParams { NegativePrompt = string.Join(' ', Enumerable.Repeat("blurry noisy", 40)) };

        var error = await Assert.ThrowsAsync<RpcException>(() => stages.Tight.CallAsync(header));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("KV cache", error.Status.Detail);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        string metrics;
        do
        {
            metrics = await Http.GetStringAsync(stages.Tight.Process.MetricsAddress);
        }
        while (Sum(metrics, "vllm:request_success_total", "abort") == abortsBefore && DateTime.UtcNow < deadline && await Delay());
        Assert.Equal(abortsBefore + 1, Sum(metrics, "vllm:request_success_total", "abort"));
        Assert.Equal(0, Sum(metrics, "vllm:num_requests_running", null));
    }

    private static readonly HttpClient Http = new();

    private static async Task<bool> Delay()
    {
        await Task.Delay(100);
        return true;
    }

    /// <summary>Sums a family's samples (optionally those with one finished_reason) in an exposition.</summary>
    private static double Sum(string exposition, string family, string? finishedReason) => exposition.Split('\n')
        .Where(line => line.StartsWith(family + "{", StringComparison.Ordinal)
            && (finishedReason is null || line.Contains($"finished_reason=\"{finishedReason}\"", StringComparison.Ordinal)))
        .Sum(line => double.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture));

    [Fact]
    public async Task Process_TextRequest_StreamsEveryTokenAndFinishesWithLength()
    {
        var result = await stages.Main.CallAsync(StageEndpoint.TextRequest("Hello, world!", 24));

        Assert.Equal(24, result.TokenIds.Count);
        Assert.Equal(24, result.Text.Count);
        Assert.Equal(FinishReason.Length, result.Final!.FinishReason);
        Assert.Equal((4u, 24u), (result.Final.Usage.PromptTokens, result.Final.Usage.CompletionTokens));
        Assert.StartsWith(" JACK multiplierSupp SDK", result.FullText, StringComparison.Ordinal);
        Assert.Empty(result.TensorNames);
    }

    [Fact]
    public async Task Process_ConcurrentRequests_SameTokensAsOneAtATime()
    {
        var requests = Prompts.Select((p, i) => StageEndpoint.TextRequest(p, 12, text =>
        {
            text.Temperature = i % 2 == 0 ? 0 : 0.9f;
            text.Seed = (ulong)i;
        })).ToArray();

        var alone = new List<List<int>>();
        foreach (var request in requests)
        {
            alone.Add((await stages.Main.CallAsync(request)).TokenIds);
        }
        var together = await Task.WhenAll(requests.Select(request => stages.Main.CallAsync(request)));

        Assert.Equal(alone, together.Select(r => r.TokenIds));
    }

    [Fact]
    public async Task Process_NegativePromptWithHiddenStates_EmitsBothTensors()
    {
        var header = new StageRequest
        {
            Prompt = "A red house by the sea",
            Outputs = { "hidden_states", "negative_hidden_states" },
            Image = new ImageParams { NegativePrompt = "blurry, low quality" },
        };

        var result = await stages.Main.CallAsync(header);

        var (shape, values) = result.Tensor("hidden_states");
        var (negativeShape, negativeValues) = result.Tensor("negative_hidden_states");
        Assert.Equal([result.Final!.Usage.PromptTokens, 64L], shape);
        Assert.Equal(2, negativeShape.Length);
        Assert.Equal(64, negativeShape[1]);
        Assert.InRange(negativeShape[0], 2, 10);
        Assert.Equal(negativeShape[0] * 64, negativeValues.Length);
        Assert.All(values.Concat(negativeValues), v => Assert.True(float.IsFinite(v)));
        Assert.Empty(result.Text);
    }

    [Fact]
    public async Task Process_HiddenStatesWithoutNegativePrompt_EmitsOnlyHiddenStates()
    {
        var header = StageEndpoint.TextRequest("A red house", 5);
        header.Outputs.Add("hidden_states");
        header.Outputs.Add("negative_hidden_states");

        var result = await stages.Main.CallAsync(header);

        Assert.Equal(["hidden_states"], result.TensorNames);
        Assert.Equal(result.Final!.Usage.PromptTokens + 5, result.Tensor("hidden_states").Shape[0]);
    }

    [Fact]
    public async Task Process_Logprobs_OnePerTokenWithTopAlternatives()
    {
        var result = await stages.Main.CallAsync(StageEndpoint.TextRequest("Hello, world!", 6, text => text.Logprobs = 4));

        Assert.All(result.Text, delta =>
        {
            var logprob = Assert.Single(delta.Logprobs);
            Assert.Equal(delta.TokenIds[0], logprob.TokenId);
            Assert.Equal(4, logprob.Top.Count);
            Assert.Equal(logprob.TokenId, logprob.Top[0].TokenId);
            Assert.True(logprob.Logprob < 0);
        });
        // The first greedy step of qwen2-tiny after "Hello, world!" has logprob -0.6787 (reference, float64).
        Assert.InRange(result.Text[0].Logprobs[0].Logprob, -0.6797, -0.6777);
    }

    [Fact]
    public async Task Process_StopTokenAndIgnoreEos_FinishAsAsked()
    {
        var greedy = (await stages.Main.CallAsync(StageEndpoint.TextRequest("Hello, world!", 8))).TokenIds;

        var stopped = await stages.Main.CallAsync(StageEndpoint.TextRequest("Hello, world!", 8, text => text.StopTokenIds.Add(greedy[3])));
        var ignoring = await stages.Main.CallAsync(StageEndpoint.TextRequest("Hello, world!", 8, text => text.IgnoreEos = true));

        Assert.Equal(FinishReason.Stop, stopped.Final!.FinishReason);
        Assert.Equal(greedy.Take(4), stopped.TokenIds);
        Assert.Equal(greedy, ignoring.TokenIds);
    }

    [Theory]
    [InlineData("min_p", "text.min_p must be in [0, 1), got 2.")]
    [InlineData("repetition_penalty", "text.repetition_penalty must be in (0, 2], got 3.")]
    [InlineData("presence_penalty", "text.presence_penalty must be in [-2, 2], got -2.5.")]
    [InlineData("frequency_penalty", "text.frequency_penalty must be in [-2, 2], got 2.5.")]
    [InlineData("logprobs", "text.logprobs must be in [0, 20], got 21.")]
    [InlineData("stop_token_ids", "text.stop_token_ids[1] must be in [0, 50257) (the vocabulary), got 50257.")]
    public async Task Process_ParameterOutOfRange_InvalidArgumentNamingTheField(string field, string message)
    {
        var header = StageEndpoint.TextRequest("Hello", 4, text =>
        {
            switch (field)
            {
                case "min_p": text.MinP = 2; break;
                case "repetition_penalty": text.RepetitionPenalty = 3; break;
                case "presence_penalty": text.PresencePenalty = -2.5f; break;
                case "frequency_penalty": text.FrequencyPenalty = 2.5f; break;
                case "logprobs": text.Logprobs = 21; break;
                default: text.StopTokenIds.Add([7, 50257]); break;
            }
        });

        var error = await Assert.ThrowsAsync<RpcException>(() => stages.Main.CallAsync(header));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal(message, error.Status.Detail);
        Assert.Equal(24, (await stages.Main.CallAsync(StageEndpoint.TextRequest("Hello, world!", 24))).TokenIds.Count);
    }
}
