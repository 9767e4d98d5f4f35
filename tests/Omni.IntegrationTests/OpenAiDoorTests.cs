using Omni.Testing;
using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using OpenAI;
using OpenAI.Chat;
using OpenAI.Images;
using Omni.Cli.Client;
using Omni.Contracts.V1;

namespace Omni.IntegrationTests;

/// <summary>
/// The HTTP door through the official OpenAI client for .NET, against real processes: the same token ids, logprobs,
/// image and video bytes as the gRPC door for the same seed, and OpenAI's error shape.
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed class OpenAiDoorTests(PipelineFixture fixture)
{
    private const string Model = "omni-default";
    private const string System = "You answer briefly.";
    private const string User = "Name a colour.";
    private const string VideoPrompt = "A short clip";

    private static readonly HttpClient Http = new();

    private string BaseUrl => fixture.Pipeline.Orchestrator.HttpAddress + "/v1";

    private OpenAIClientOptions ClientOptions => new() { Endpoint = new Uri(BaseUrl), NetworkTimeout = TimeSpan.FromMinutes(2) };

    [Fact]
    public async Task ChatCompletion_DotNetClient_SameTextAndLogprobsAsTheGrpcDoor()
    {
        var client = new ChatClient(Model, new ApiKeyCredential("unused"), ClientOptions);
#pragma warning disable OPENAI001 // Seed is marked experimental by the client library
        var options = new ChatCompletionOptions { MaxOutputTokenCount = 8, Seed = 7, IncludeLogProbabilities = true, TopLogProbabilityCount = 2 };
#pragma warning restore OPENAI001

        ChatCompletion completion = await client.CompleteChatAsync([new SystemChatMessage(System), new UserChatMessage(User)], options);
        var grpc = await fixture.Client.GenerateAsync(ChatOverGrpc(maxTokens: 8, seed: 7, logprobs: 2));

        Assert.Equal(grpc.Text, completion.Content[0].Text);
        Assert.All(grpc.Logprobs, entry => Assert.False(string.IsNullOrEmpty(entry.Token), $"token {entry.TokenId} has no text"));
        Assert.Equal(grpc.Logprobs.Select(entry => (entry.Token, entry.Logprob, string.Join('|', entry.Top.Select(top => top.Token)))),
            completion.ContentTokenLogProbabilities.Select(entry =>
                (entry.Token, entry.LogProbability, string.Join('|', entry.TopLogProbabilities.Select(top => top.Token)))));
        Assert.Equal((grpc.Final.Usage.PromptTokens, grpc.Final.Usage.CompletionTokens),
            ((uint)completion.Usage.InputTokenCount, (uint)completion.Usage.OutputTokenCount));
        Assert.Equal(ChatFinishReason.Length, completion.FinishReason);
    }

    [Fact]
    public async Task ChatCompletionStreaming_DotNetClient_SameTextAsTheGrpcDoorInSeveralChunks()
    {
        var client = new ChatClient(Model, new ApiKeyCredential("unused"), ClientOptions);
#pragma warning disable OPENAI001
        var options = new ChatCompletionOptions { MaxOutputTokenCount = 6, Seed = 3 };
#pragma warning restore OPENAI001
        var text = new StringBuilder();
        var updates = 0;
        ChatTokenUsage? usage = null;

        await foreach (var update in client.CompleteChatStreamingAsync([new SystemChatMessage(System), new UserChatMessage(User)], options))
        {
            updates++;
            text.Append(string.Concat(update.ContentUpdate.Select(part => part.Text)));
            usage = update.Usage ?? usage;
        }
        var grpc = await fixture.Client.GenerateAsync(ChatOverGrpc(maxTokens: 6, seed: 3));

        Assert.Equal(grpc.Text, text.ToString());
        Assert.True(updates >= 6, $"{updates} updates for 6 tokens");
        Assert.Equal(grpc.Final.Usage.CompletionTokens, (uint)usage!.OutputTokenCount);
    }

    [Fact]
    public async Task ImageGeneration_DotNetClient_SameBytesAsTheGrpcDoor()
    {
        var clientOptions = ClientOptions;
        clientOptions.AddPolicy(new ExtraBodyFields(new Dictionary<string, JsonNode> { ["seed"] = 11, ["num_inference_steps"] = 3 }), PipelinePosition.PerCall);
        var client = new ImageClient(Model, new ApiKeyCredential("unused"), clientOptions);
        var options = new ImageGenerationOptions { Size = new GeneratedImageSize(64, 64), ResponseFormat = GeneratedImageFormat.Bytes };

        GeneratedImage image = await client.GenerateImageAsync("A red square", options);
        var grpc = await fixture.Client.GenerateAsync(Requests.Image("A red square", 64, 64, steps: 3, seed: 11));

        Assert.Equal(grpc.Image!.Data.ToByteArray(), image.ImageBytes.ToArray());
    }

    [Fact]
    public async Task ChatCompletion_TemperatureOutOfRange_400NamingTheField()
    {
        var client = new ChatClient(Model, new ApiKeyCredential("unused"), new OpenAIClientOptions { Endpoint = new Uri(BaseUrl), RetryPolicy = null });

        var error = await Assert.ThrowsAsync<ClientResultException>(() =>
            client.CompleteChatAsync([new UserChatMessage(User)], new ChatCompletionOptions { Temperature = 5f }));

        using var body = JsonDocument.Parse(error.GetRawResponse()!.Content.ToString());
        var detail = body.RootElement.GetProperty("error");
        Assert.Equal((400, "temperature", "invalid_request_error"),
            (error.Status, detail.GetProperty("param").GetString(), detail.GetProperty("type").GetString()));
    }

    [Fact]
    public async Task ChatCompletion_UnknownModel_404ModelNotFound()
    {
        using var response = await PostAsync("chat/completions", """{"model":"gpt-4o","messages":[{"role":"user","content":"Hi"}]}""");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("\"code\":\"model_not_found\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ChatCompletion_RequestIdHeader_EchoedInTheHeaderTheIdAndTheBreakdown()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, BaseUrl + "/chat/completions")
        {
            Content = new StringContent("""{"messages":[{"role":"user","content":"Hi"}],"max_tokens":2}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("X-Request-Id", "http-door-42");

        using var response = await Http.SendAsync(request);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal("http-door-42", response.Headers.GetValues("X-Request-Id").Single());
        Assert.Equal("chatcmpl-http-door-42", body.RootElement.GetProperty("id").GetString());
        Assert.Equal("http-door-42", body.RootElement.GetProperty("omni").GetProperty("request_id").GetString());
    }

    [Fact]
    public async Task ChatCompletion_NonAsciiRequestIdHeader_400NamingTheHeader()
    {
        // The id is echoed in a response header, which cannot carry it: refused as the pipeline refuses it, not a 500.
        using var utf8 = new HttpClient(new SocketsHttpHandler { RequestHeaderEncodingSelector = (_, _) => Encoding.UTF8 });
        using var request = new HttpRequestMessage(HttpMethod.Post, BaseUrl + "/chat/completions")
        {
            Content = new StringContent("""{"messages":[{"role":"user","content":"Hi"}],"max_tokens":2}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation("X-Request-Id", "réq-1");

        using var response = await utf8.SendAsync(request);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal((HttpStatusCode.BadRequest, "X-Request-Id"),
            (response.StatusCode, body.RootElement.GetProperty("error").GetProperty("param").GetString()));
    }

    [Fact]
    public async Task ChatCompletion_Breakdown_HasTheArStagesTimings()
    {
        using var response = await PostAsync("chat/completions", """{"messages":[{"role":"user","content":"Hi"}],"max_tokens":3}""");
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        var final = body.RootElement.GetProperty("omni").GetProperty("final");
        var stage = final.GetProperty("stages")[0];
        Assert.Equal("ar", stage.GetProperty("stage").GetString());
        Assert.Contains(stage.GetProperty("timings").EnumerateArray(), timing => timing.GetProperty("name").GetString() == "decode");
        Assert.True(final.GetProperty("e2e_time_ms").GetDouble() > 0);
    }

    [Fact]
    public async Task Completion_StreamedWithUsage_ServerSentEventsEndingInDone()
    {
        using var response = await PostAsync("completions", """{"prompt":"Once upon a time","max_tokens":4,"seed":2,"stream":true,"stream_options":{"include_usage":true}}""");
        var events = (await response.Content.ReadAsStringAsync()).Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        var grpc = await fixture.Client.GenerateAsync(Requests.Text("Once upon a time", maxTokens: 4, seed: 2));

        Assert.StartsWith("text/event-stream", response.Content.Headers.ContentType!.ToString(), StringComparison.Ordinal);
        Assert.Equal("data: [DONE]", events[^1]);
        var chunks = events[..^1].Select(line => JsonDocument.Parse(line["data: ".Length..]).RootElement).ToList();
        Assert.Equal(grpc.Text, string.Concat(chunks.SelectMany(chunk => chunk.GetProperty("choices").EnumerateArray())
            .Select(choice => choice.GetProperty("text").GetString())));
        Assert.Equal(4, chunks[^1].GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }

    [Fact]
    public async Task ChatCompletion_AdmissionFull_429RateLimitError()
    {
        await using var orchestrator = await fixture.Pipeline.StartOrchestratorAsync(["--max-inflight", "1", "--max-waiting", "0"], CancellationToken.None);
        using var first = new HttpRequestMessage(HttpMethod.Post, orchestrator.HttpAddress + "/v1/chat/completions")
        {
            Content = new StringContent("""{"messages":[{"role":"user","content":"Hi"}],"max_tokens":256,"ignore_eos":true,"stream":true}""",
                Encoding.UTF8, "application/json"),
        };
        // The event stream's headers leave with its first chunk: from then on the request holds the only slot.
        using var streaming = await Http.SendAsync(first, HttpCompletionOption.ResponseHeadersRead);

        using var second = await Http.PostAsync(orchestrator.HttpAddress + "/v1/chat/completions",
            new StringContent("""{"messages":[{"role":"user","content":"Hi"}],"max_tokens":2}""", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.OK, streaming.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
        Assert.Contains("\"type\":\"rate_limit_error\"", await second.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ChatCompletion_BodyOverOneMebibyte_413BeforeTheBodyIsSent()
    {
        var prompt = new string('a', 2 << 20);
        using var request = new HttpRequestMessage(HttpMethod.Post, BaseUrl + "/chat/completions")
        {
            Content = new StringContent($$"""{"messages":[{"role":"user","content":"{{prompt}}"}]}""", Encoding.UTF8, "application/json"),
        };
        // As curl does past 1 MiB: the body follows only after "100 Continue", so the refusal comes first.
        request.Headers.ExpectContinue = true;

        using var response = await Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("\"type\":\"invalid_request_error\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Models_Get_ListsTheServedModel()
    {
        using var body = JsonDocument.Parse(await Http.GetStringAsync(BaseUrl + "/models"));

        Assert.Equal(Model, body.RootElement.GetProperty("data")[0].GetProperty("id").GetString());
    }

    [Fact]
    public async Task ChatCompletion_ThroughTheHttpDoor_CountedInThePipelineMetrics()
    {
        var metrics = fixture.Pipeline.Orchestrator.MetricsAddress;
        var before = await Http.GetStringAsync(metrics);

        using var response = await PostAsync("chat/completions", """{"messages":[{"role":"user","content":"Hi"}],"max_tokens":2}""");
        response.EnsureSuccessStatusCode();

        var after = await Http.GetStringAsync(metrics);
        Assert.Equal(Exposition.Sum(before, "vllm:omni_requests_success_total") + 1, Exposition.Sum(after, "vllm:omni_requests_success_total"));
        Assert.Equal(Exposition.Sum(before, "vllm:omni_text_ttfp_seconds_count") + 1, Exposition.Sum(after, "vllm:omni_text_ttfp_seconds_count"));
    }

    [Fact]
    public async Task ChatCompletion_InvalidJson_400CountedAsInvalidArgument()
    {
        var metrics = fixture.Pipeline.Orchestrator.MetricsAddress;
        var before = Exposition.Sum(await Http.GetStringAsync(metrics), "vllm:omni_requests_failed_total", "reason=\"invalid_argument\"");

        using var response = await PostAsync("chat/completions", "{\"messages\":");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(before + 1, Exposition.Sum(await Http.GetStringAsync(metrics), "vllm:omni_requests_failed_total", "reason=\"invalid_argument\""));
    }

    [Fact]
    public async Task ChatCompletionWithAudio_Wav_RiffFileAt24kHzAsLongAsTheReportedDuration()
    {
        using var body = await ChatWithAudioAsync("wav");

        var (sampleRate, dataBytes) = ReadWav(Audio(body).GetProperty("data").GetBytesFromBase64());
        var duration = body.RootElement.GetProperty("omni").GetProperty("final").GetProperty("audio_duration_seconds").GetDouble();
        Assert.Equal(24000, sampleRate);
        Assert.True(duration is > 0 and <= 1, $"{duration} s");
        Assert.Equal(duration * 24000 * 2, dataBytes, 6);
    }

    [Fact]
    public async Task ChatCompletionWithAudio_SameRequestTwice_SameAudioBytes()
    {
        using var first = await ChatWithAudioAsync("wav");
        using var second = await ChatWithAudioAsync("wav");

        Assert.Equal(Audio(first).GetProperty("data").GetBytesFromBase64(), Audio(second).GetProperty("data").GetBytesFromBase64());
    }

    [Fact]
    public async Task ChatCompletionWithAudioStreamed_Pcm16_DeltasJoinIntoTheWholeResponsesAudio()
    {
        using var whole = await ChatWithAudioAsync("pcm16");
        using var response = await PostAsync("chat/completions", ChatWithAudioBody("pcm16", stream: true));
        var events = (await response.Content.ReadAsStringAsync()).Split("\n\n", StringSplitOptions.RemoveEmptyEntries);

        var deltas = events[..^1].Select(line => JsonDocument.Parse(line["data: ".Length..]).RootElement.GetProperty("choices"))
            .Where(choices => choices.GetArrayLength() > 0 && choices[0].GetProperty("delta").TryGetProperty("audio", out _))
            .Select(choices => choices[0].GetProperty("delta").GetProperty("audio").GetProperty("data").GetBytesFromBase64()).ToList();
        Assert.True(deltas.Count > 1, $"{deltas.Count} audio chunks");
        Assert.Equal(Audio(whole).GetProperty("data").GetBytesFromBase64(), deltas.SelectMany(delta => delta).ToArray());
    }

    [Fact]
    public async Task VideoSync_Mp4_StreamsTheGrpcDoorsChunkBytesWithTheClipsHeadersAndIsCounted()
    {
        Assert.NotEmpty(fixture.Pipeline.VideoStages);
        var metrics = fixture.Pipeline.Orchestrator.MetricsAddress;
        var before = await Http.GetStringAsync(metrics);
        using var request = new HttpRequestMessage(HttpMethod.Post, BaseUrl + "/videos/sync")
        {
            Content = new StringContent($$"""
                {"model":"{{Model}}","prompt":"{{VideoPrompt}}","size":"64x64","num_frames":4,"fps":4,"num_inference_steps":2,"seed":7}
                """, Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("X-Request-Id", "video-door-1");

        using var response = await Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        var after = await Http.GetStringAsync(metrics);
        // The door passes the prompt as sent (no template), with the same video parameters.
        var grpcRequest = new GenerateRequest
        {
            Prompt = VideoPrompt,
            Video = new VideoParams { Width = 64, Height = 64, Frames = 4, Fps = 4, NumInferenceSteps = 2, Seed = 7, Format = VideoFormat.Mp4 },
        };
        grpcRequest.Outputs.Add(Modality.Video);
        var grpc = await fixture.Client.GenerateAsync(grpcRequest);

        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{response.StatusCode}: {Encoding.UTF8.GetString(bytes)}");
        Assert.Equal("video/mp4", response.Content.Headers.ContentType!.MediaType);
        // Streamed as the chunks arrive: no length is known up front.
        Assert.True(response.Headers.TransferEncodingChunked, "the body was not sent chunked");
        Assert.Equal("ftyp"u8.ToArray(), bytes[4..8]);
        Assert.Equal(grpc.VideoChunks.SelectMany(chunk => chunk.Data.ToByteArray()).ToArray(), bytes);
        Assert.Equal(("video-door-1", "4", "4", "64", "64", "7"),
            (Header(response, "X-Request-Id"), Header(response, "X-Video-Frames"), Header(response, "X-Video-Fps"), Header(response, "X-Video-Width"),
                Header(response, "X-Video-Height"), Header(response, "X-Video-Seed")));
        Assert.Equal(Exposition.Sum(before, "vllm:omni_requests_success_total") + 1, Exposition.Sum(after, "vllm:omni_requests_success_total"));
        Assert.Equal(Exposition.Sum(before, "vllm:omni_video_ttfp_seconds_count") + 1, Exposition.Sum(after, "vllm:omni_video_ttfp_seconds_count"));
    }

    [Theory]
    [InlineData("""{"prompt":"A short clip","size":"100x64","num_frames":4,"num_inference_steps":2}""", "size")]
    [InlineData("""{"prompt":"A short clip","size":"64x64","num_frames":99,"num_inference_steps":2}""", "num_frames")]
    [InlineData("""{"prompt":"A short clip","size":"64x64","num_frames":4,"num_inference_steps":2,"output_format":"webm"}""", "output_format")]
    [InlineData("""{"prompt":"A short clip","size":"64x64","num_frames":4,"seconds":"2","fps":4}""", "seconds")]
    public async Task VideoSync_BadField_400NamingIt(string json, string param)
    {
        using var response = await PostAsync("videos/sync", json);
        var text = await response.Content.ReadAsStringAsync();

        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{response.StatusCode}: {text}");
        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        var error = JsonDocument.Parse(text).RootElement.GetProperty("error");
        Assert.Equal((param, "invalid_request_error"), (error.GetProperty("param").GetString(), error.GetProperty("type").GetString()));
    }

    private static string Header(HttpResponseMessage response, string name) => response.Headers.GetValues(name).Single();

    private async Task<JsonDocument> ChatWithAudioAsync(string format)
    {
        using var response = await PostAsync("chat/completions", ChatWithAudioBody(format, stream: false));
        var json = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, json);
        return JsonDocument.Parse(json);
    }

    private static string ChatWithAudioBody(string format, bool stream) => $$"""
        {"messages":[{"role":"user","content":"Say something"}],"max_tokens":4,"seed":7,"modalities":["text","audio"],
         "audio":{"format":"{{format}}","max_duration_seconds":1,"seed":7,"chunk_frames":10},"stream":{{(stream ? "true" : "false")}}}
        """;

    private static JsonElement Audio(JsonDocument body) => body.RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("audio");

    /// <summary>A RIFF/WAVE file's sample rate (from its <c>fmt </c> chunk) and the length of its <c>data</c> chunk.</summary>
    private static (int SampleRate, int DataBytes) ReadWav(byte[] file)
    {
        Assert.Equal(("RIFF", "WAVE"), (Encoding.ASCII.GetString(file, 0, 4), Encoding.ASCII.GetString(file, 8, 4)));
        int? sampleRate = null;
        for (var at = 12; at + 8 <= file.Length;)
        {
            var id = Encoding.ASCII.GetString(file, at, 4);
            var size = BitConverter.ToInt32(file, at + 4);
            if (id == "fmt ")
            {
                sampleRate = BitConverter.ToInt32(file, at + 12);
            }
            else if (id == "data")
            {
                Assert.Equal(file.Length, at + 8 + size);
                return (sampleRate ?? throw new InvalidDataException("data before fmt"), size);
            }
            at += 8 + size + (size & 1);
        }
        throw new InvalidDataException("no data chunk");
    }

    /// <summary>The chat's prompt as the door's documented template (ChatML) forms it, sent through the gRPC door.</summary>
    internal static GenerateRequest ChatOverGrpc(uint maxTokens, ulong seed, uint? logprobs = null)
    {
        var request = Requests.Text($"<|im_start|>system\n{System}<|im_end|>\n<|im_start|>user\n{User}<|im_end|>\n<|im_start|>assistant\n", maxTokens, seed);
        if (logprobs is { } top)
        {
            request.Text.Logprobs = top;
        }
        return request;
    }

    private Task<HttpResponseMessage> PostAsync(string path, string json) =>
        Http.PostAsync($"{BaseUrl}/{path}", new StringContent(json, Encoding.UTF8, "application/json"));
}
