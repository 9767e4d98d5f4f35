using System.Text.Json;
using Grpc.Core;
using Omni.Orchestrator.OpenAi;

namespace Omni.Orchestrator.Tests.OpenAi;

public sealed class OpenAiRequestConverterTests
{
    private const string Model = "omni-default";

    [Fact]
    public void Convert_ChatWithSystemAndAssistantTurns_RendersChatMl()
    {
        var call = Convert(OpenAiApi.ChatCompletions, """
            {"messages":[{"role":"developer","content":"Be brief."},{"role":"user","content":[{"type":"text","text":"Hi"},{"type":"text","text":"!"}]},
             {"role":"assistant","content":"Hello."},{"role":"user","content":"Bye"}]}
            """);

        Assert.Equal("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi!<|im_end|>\n<|im_start|>assistant\nHello.<|im_end|>\n"
            + "<|im_start|>user\nBye<|im_end|>\n<|im_start|>assistant\n", call.Request.Prompt);
    }

    [Fact]
    public void Convert_MaxCompletionTokens_WinsOverMaxTokens()
    {
        var call = Convert(OpenAiApi.ChatCompletions, """{"messages":[{"role":"user","content":"Hi"}],"max_tokens":5,"max_completion_tokens":9}""");

        Assert.Equal(9u, call.Request.Text.MaxTokens);
    }

    [Fact]
    public void Convert_TopKMinusOne_IsOff()
    {
        var call = Convert(OpenAiApi.Completions, """{"prompt":"Hi","top_k":-1}""");

        Assert.Equal(0, call.Request.Text.TopK);
    }

    [Fact]
    public void Convert_StreamWithIncludeUsage_AsksForTheUsageChunk()
    {
        var call = Convert(OpenAiApi.ChatCompletions, """{"messages":[{"role":"user","content":"Hi"}],"stream":true,"stream_options":{"include_usage":true}}""");

        Assert.Equal((true, true), (call.Stream, call.IncludeUsage));
    }

    [Theory]
    [InlineData("""{"messages":[{"role":"user","content":"Hi"}],"n":2}""", "n")]
    [InlineData("""{"messages":[{"role":"user","content":"Hi"}],"tools":[{"type":"function"}]}""", "tools")]
    [InlineData("""{"messages":[{"role":"user","content":"Hi"}],"response_format":{"type":"json_object"}}""", "response_format")]
    [InlineData("""{"messages":[{"role":"user","content":"Hi"}],"modalities":["text","image"]}""", "modalities[1]")]
    [InlineData("""{"messages":[{"role":"tool","content":"Hi"}]}""", "messages[0].role")]
    [InlineData("""{"messages":[{"role":"user","content":[{"type":"image_url"}]}]}""", "messages[0].content[0].type")]
    [InlineData("""{"messages":[]}""", "messages")]
    [InlineData("""{"messages":[{"role":"user","content":"Hi"}],"temperature":"hot"}""", "temperature")]
    [InlineData("""{"messages":[{"role":"user","content":"Hi"}],"top_logprobs":2}""", "top_logprobs")]
    [InlineData("""{"messages":[{"role":"user","content":"Hi"}],"seed":-1}""", "seed")]
    [InlineData("""{"messages":[{"role":"user","content":"Hi"}],"stream_options":{"include_usage":true}}""", "stream_options")]
    [InlineData("""{"messages":[{"role":"user","content":"Hi"}],"max_tokens":0}""", "max_tokens")]
    [InlineData("""{"messages":[{"role":"user","content":"Hi"}],"max_completion_tokens":0}""", "max_completion_tokens")]
    [InlineData("""{"messages":[{"role":"user","content":"Hi"}],"modalities":["text","audio"],"audio":{"chunk_frames":0}}""", "audio.chunk_frames")]
    public void Convert_ChatFieldItCannotHonour_InvalidNamingTheField(string body, string param)
    {
        var error = Assert.Throws<OpenAiRequestException>(() => Convert(OpenAiApi.ChatCompletions, body));

        Assert.Equal((400, param), (error.StatusCode, error.Param));
    }

    [Theory]
    [InlineData("""{"prompt":"x","size":"big"}""", "size")]
    [InlineData("""{"prompt":"x","response_format":"url"}""", "response_format")]
    [InlineData("""{"prompt":"x","scheduler":"heun"}""", "scheduler")]
    [InlineData("""{"prompt":"x","size":"512x0"}""", "size")]
    [InlineData("""{"prompt":"x","size":"0x0"}""", "size")]
    [InlineData("""{"prompt":"x","n":0}""", "n")]
    [InlineData("""{"prompt":"x","num_inference_steps":0}""", "num_inference_steps")]
    [InlineData("""{"prompt":"x","stream":true}""", "stream")]
    [InlineData("""{"prompt":"x","partial_images":2}""", "partial_images")]
    public void Convert_ImageFieldItCannotHonour_InvalidNamingTheField(string body, string param)
    {
        var error = Assert.Throws<OpenAiRequestException>(() => Convert(OpenAiApi.ImageGenerations, body));

        Assert.Equal((400, param), (error.StatusCode, error.Param));
    }

    [Fact]
    public void Convert_ImageStreamFalseAndNoPartialImages_Accepted()
    {
        var call = Convert(OpenAiApi.ImageGenerations, """{"prompt":"x","stream":false,"partial_images":0}""");

        Assert.False(call.Stream);
    }

    [Fact]
    public void Convert_AnotherModel_NotFound()
    {
        var error = Assert.Throws<OpenAiRequestException>(() => Convert(OpenAiApi.Completions, """{"model":"gpt-4o","prompt":"Hi"}"""));

        Assert.Equal((404, "model", "model_not_found"), (error.StatusCode, error.Param, error.Code));
    }

    [Theory]
    [InlineData(StatusCode.InvalidArgument, 400)]
    [InlineData(StatusCode.Unauthenticated, 401)]
    [InlineData(StatusCode.PermissionDenied, 403)]
    [InlineData(StatusCode.ResourceExhausted, 429)]
    [InlineData(StatusCode.Unavailable, 503)]
    [InlineData(StatusCode.DeadlineExceeded, 504)]
    [InlineData(StatusCode.Internal, 500)]
    [InlineData(StatusCode.Cancelled, 500)]
    public void FromStatus_GrpcStatus_OpenAiHttpStatus(StatusCode code, int http)
    {
        Assert.Equal(http, OpenAiErrors.FromStatus(new Status(code, "x"), OpenAiApi.ChatCompletions, null).StatusCode);
    }

    [Fact]
    public void FromStatus_ValidationOfAnIndexedProtoField_NamesTheOpenAiField()
    {
        var error = OpenAiErrors.FromStatus(new Status(StatusCode.InvalidArgument, "text.stop[2] must be 1..64 characters, got 0."),
            OpenAiApi.Completions, null);

        Assert.Equal(("stop[2]", "stop[2] must be 1..64 characters, got 0."), (error.Param, error.Message));
    }

    [Fact]
    public void FromStatus_ValidationOfTheChatPrompt_NamesMessages()
    {
        var error = OpenAiErrors.FromStatus(new Status(StatusCode.InvalidArgument, "prompt must be at most 8192 characters, got 9000."),
            OpenAiApi.ChatCompletions, null);

        Assert.Equal("messages", error.Param);
    }

    [Fact]
    public void FromStatus_ValidationOfAFieldSentUnderItsOtherName_NamesTheOneSent()
    {
        using var document = JsonDocument.Parse("""{"max_tokens":99999}""");

        var error = OpenAiErrors.FromStatus(new Status(StatusCode.InvalidArgument, "text.max_tokens must be in [1, 4096], got 99999."),
            OpenAiApi.ChatCompletions, JsonBody.Parse(document));

        Assert.Equal("max_tokens", error.Param);
    }

    private static OpenAiCall Convert(OpenAiApi api, string body)
    {
        using var document = JsonDocument.Parse(body);
        return OpenAiRequestConverter.Convert(api, new OpenAiInput(JsonBody.Parse(document), null), Model);
    }
}
