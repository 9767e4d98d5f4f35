using System.Text.RegularExpressions;
using Omni.Contracts.V1;

namespace Omni.IntegrationTests;

[Collection(GraphPipelineCollection.Name)]
public sealed partial class GraphPipelineTests(GraphPipelineFixture fixture)
{
    private const int HiddenBytesPerToken = 256 * sizeof(float); // the built-in AR model's hidden size
    private static readonly HttpClient Http = new();

    [Fact]
    public async Task Chain_TextAndImage_RunsThreeStagesInOrderWithAReportPerStage()
    {
        var result = await fixture.Chain.GenerateAsync(Request(maxTokens: 6));

        Assert.Equal([("thinker", 0u), ("rewriter", 1u), ("diffusion", 2u)], result.Final.Stages.Select(stage => (stage.Stage, stage.StageId)));
        Assert.Equal(6, result.TokenIds.Count);
        Assert.Equal((64u, 64u), (result.Image!.Width, result.Image.Height));
    }

    [Fact]
    public async Task Chain_Edges_CarryTheThinkersTokensThenTheRewritersHiddenStates()
    {
        var result = await fixture.Chain.GenerateAsync(Request(maxTokens: 6));

        var (tokens, hidden) = (result.Final.Transfers[0], result.Final.Transfers[1]);
        Assert.Equal((0u, 1u, "relay", 6ul * sizeof(int)), (tokens.FromStage, tokens.ToStage, tokens.Connector, tokens.Bytes));
        // The rewriter only encodes its prompt (the thinker's six tokens): six rows of hidden states.
        Assert.Equal((1u, 2u, "direct", 6ul * HiddenBytesPerToken), (hidden.FromStage, hidden.ToStage, hidden.Connector, hidden.Bytes));
    }

    [Fact]
    public async Task Chain_SameSeed_SameImageBytes()
    {
        var first = await fixture.Chain.GenerateAsync(Request(maxTokens: 4));
        var second = await fixture.Chain.GenerateAsync(Request(maxTokens: 4));

        Assert.Equal(first.Image!.Data, second.Image!.Data);
    }

    [Fact]
    public async Task Chain_NegativePrompt_ReachesDiffusionThroughTheRewriter()
    {
        var plain = await fixture.Chain.GenerateAsync(Request(maxTokens: 4, guidance: 3));
        var negative = Request(maxTokens: 4, guidance: 3);
        negative.Image.NegativePrompt = "blurry";

        var guided = await fixture.Chain.GenerateAsync(negative);

        var edge = guided.Final.Transfers.Single(transfer => transfer.FromStage == 1);
        Assert.True(edge.Bytes > 4ul * HiddenBytesPerToken, $"{edge.Bytes} bytes: the negative prompt's hidden states are missing");
        Assert.NotEqual(plain.Image!.Data, guided.Image!.Data);
    }

    [Fact]
    public async Task Chain_Metrics_LabelStagesAndEdgesAsTheGraphSays()
    {
        await fixture.Chain.GenerateAsync(Request(maxTokens: 3));

        var metrics = await Http.GetStringAsync(fixture.ChainOrchestrator.MetricsAddress);
        Assert.Matches(@"vllm:omni_stage_gen_time_seconds_count\{model_name=""omni-chain"",stage_id=""2"",replica_id=""0""\} [1-9]", metrics);
        Assert.Matches(@"vllm:omni_transfer_size_bytes_count\{model_name=""omni-chain"",from_stage=""0"",from_replica=""0"",to_stage=""1"",to_replica=""0""\} [1-9]", metrics);
        Assert.Matches(@"vllm:omni_transfer_size_bytes_count\{model_name=""omni-chain"",from_stage=""1"",from_replica=""0"",to_stage=""2"",to_replica=""0""\} [1-9]", metrics);
    }

    [Fact]
    public async Task FanOut_TextAndImage_ThinkerFeedsBothBranches()
    {
        var result = await fixture.FanOut.GenerateAsync(Request(maxTokens: 5));

        var (tokens, hidden) = (result.Final.Transfers[0], result.Final.Transfers[1]);
        Assert.Equal((0u, 1u, "relay", 5ul * sizeof(int)), (tokens.FromStage, tokens.ToStage, tokens.Connector, tokens.Bytes));
        Assert.Equal((0u, 2u, "direct", 0ul), (hidden.FromStage, hidden.ToStage, hidden.Connector, hidden.Bytes % HiddenBytesPerToken));
        // The thinker generated five tokens: its hidden states cover the prompt and those five.
        Assert.InRange(hidden.Bytes / HiddenBytesPerToken, 6ul, 32ul);
        Assert.Equal(5, result.TokenIds.Count);
        Assert.NotNull(result.Image);
    }

    [Fact]
    public async Task FanOut_TextOnly_RunsTheThinkerAndTheRewriterOnly()
    {
        var request = Request(maxTokens: 4);
        request.Outputs.Remove(Modality.Image);

        var result = await fixture.FanOut.GenerateAsync(request);

        Assert.Equal(["thinker", "rewriter"], result.Final.Stages.Select(stage => stage.Stage));
        Assert.Empty(result.Images);
    }

    [Fact]
    public async Task Definition_StageDeclaresAnOutputItsReplicaLacks_ReplicaRefused()
    {
        await using var orchestrator = fixture.StartOrchestrator($$"""
            { "pipeline": { "stages": [ { "name": "talker", "kind": "ar", "addresses": "{{fixture.Thinker.GrpcAddress}}",
              "produces": ["text", "audio_codes"], "clientOutputs": ["text"] } ] } }
            """);

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!orchestrator.Tail(100).Contains("Refusing replica", StringComparison.Ordinal) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
        }

        Assert.Contains("producing [text, token_ids, hidden_states, negative_hidden_states], but stage talker is kind 'ar' stage_id 0 producing [text, audio_codes]",
            orchestrator.Tail(100));
    }

    /// <summary>Greedy thinker that always generates <paramref name="maxTokens"/> tokens.</summary>
    private static GenerateRequest Request(uint maxTokens, float guidance = 1)
    {
        var request = new GenerateRequest
        {
            Prompt = "A lighthouse at dusk",
            Text = new TextParams { MaxTokens = maxTokens, Temperature = 0, IgnoreEos = true, Seed = 3 },
            Image = new ImageParams { Width = 64, Height = 64, NumInferenceSteps = 2, Seed = 9, GuidanceScale = guidance },
        };
        request.Outputs.Add(Modality.Text);
        request.Outputs.Add(Modality.Image);
        return request;
    }
}
