using System.Text.Json;
using Grpc.Core;
using Omni.Contracts.V1;
using Omni.Orchestrator.OpenAi;

namespace Omni.Orchestrator.Tests.OpenAi;

/// <summary>A chat's speech request (<c>modalities</c> with <c>audio</c>, the <c>audio</c> object) converted, and its errors named.</summary>
public sealed class ChatAudioRequestTests
{
    private const string Model = "omni-default";

    [Fact]
    public void Convert_ModalitiesTextAndAudio_OutputsTextAndAudio()
    {
        var call = Convert("""{"messages":[{"role":"user","content":"Hi"}],"modalities":["text","audio"]}""");

        Assert.Equal(new[] { Modality.Text, Modality.Audio }, call.Request.Outputs);
    }

    [Fact]
    public void Convert_ModalitiesAudioOnly_OutputsAudioOnly()
    {
        var call = Convert("""{"messages":[{"role":"user","content":"Hi"}],"modalities":["audio"]}""");

        Assert.Equal(new[] { Modality.Audio }, call.Request.Outputs);
    }

    [Fact]
    public void Convert_ModalityListedTwice_OutputOnce()
    {
        var call = Convert("""{"messages":[{"role":"user","content":"Hi"}],"modalities":["text","audio","audio"]}""");

        Assert.Equal(new[] { Modality.Text, Modality.Audio }, call.Request.Outputs);
    }

    [Theory]
    [InlineData("pcm16", AudioFormat.PcmS16Le)]
    [InlineData("wav", AudioFormat.Wav)]
    [InlineData("opus", AudioFormat.Opus)]
    public void Convert_AudioFormat_TheProtoFormat(string format, AudioFormat expected)
    {
        var call = Convert($$$"""{"messages":[{"role":"user","content":"Hi"}],"modalities":["text","audio"],"audio":{"format":"{{{format}}}"}}""");

        Assert.Equal(expected, call.Request.Audio.Format);
    }

    [Theory]
    [InlineData("mp3")]
    [InlineData("flac")]
    [InlineData("aac")]
    public void Convert_AudioFormatThisServerDoesNotEncode_InvalidNamingAudioFormat(string format)
    {
        var error = Refused($$$"""{"messages":[{"role":"user","content":"Hi"}],"modalities":["text","audio"],"audio":{"format":"{{{format}}}"}}""");

        Assert.Equal((400, "audio.format"), (error.StatusCode, error.Param));
        Assert.StartsWith($"audio.format must be 'pcm16', 'wav' or 'opus', got '{format}'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Convert_AudioModalityWithoutAudioObject_DefaultAudioParams()
    {
        var call = Convert("""{"messages":[{"role":"user","content":"Hi"}],"modalities":["text","audio"]}""");

        Assert.Null(call.Request.Audio);
    }

    [Fact]
    public void Convert_AudioTopKMinusOne_IsOff()
    {
        var call = Convert("""{"messages":[{"role":"user","content":"Hi"}],"modalities":["text","audio"],"audio":{"top_k":-1}}""");

        Assert.Equal(0, call.Request.Audio.TopK);
    }

    [Fact]
    public void Convert_AudioWithoutItsSeed_TakesTheRequestSeed()
    {
        var call = Convert("""{"messages":[{"role":"user","content":"Hi"}],"modalities":["text","audio"],"seed":5,"audio":{"format":"wav"}}""");

        Assert.Equal(5ul, call.Request.Audio.Seed);
    }

    [Fact]
    public void Convert_AudioSeedAndRequestSeed_AudioSeedForTheTalker()
    {
        var call = Convert("""{"messages":[{"role":"user","content":"Hi"}],"modalities":["text","audio"],"seed":5,"audio":{"seed":8}}""");

        Assert.Equal((5ul, 8ul), (call.Request.Text.Seed, call.Request.Audio.Seed));
    }

    [Fact]
    public void Convert_TextOnlyWithSeed_NoAudioParams()
    {
        var call = Convert("""{"messages":[{"role":"user","content":"Hi"}],"seed":5}""");

        Assert.Null(call.Request.Audio);
    }

    [Fact]
    public void Convert_AudioVoiceDefault_Accepted()
    {
        var call = Convert("""{"messages":[{"role":"user","content":"Hi"}],"modalities":["text","audio"],"audio":{"voice":"default","format":"wav"}}""");

        Assert.Equal(AudioFormat.Wav, call.Request.Audio.Format);
    }

    [Fact]
    public void Convert_AudioVoiceOtherThanDefault_InvalidNamingAudioVoice()
    {
        var error = Refused("""{"messages":[{"role":"user","content":"Hi"}],"modalities":["text","audio"],"audio":{"voice":"alloy","format":"wav"}}""");

        Assert.Equal((400, "audio.voice"), (error.StatusCode, error.Param));
    }

    [Fact]
    public void Convert_AudioObjectWithoutAudioModality_InvalidNamingAudio()
    {
        var error = Refused("""{"messages":[{"role":"user","content":"Hi"}],"audio":{"format":"wav"}}""");

        Assert.Equal((400, "audio"), (error.StatusCode, error.Param));
    }

    [Fact]
    public void Convert_AudioObjectUnknownKey_InvalidNamingIt()
    {
        var error = Refused("""{"messages":[{"role":"user","content":"Hi"}],"modalities":["text","audio"],"audio":{"max_duration":1}}""");

        Assert.Equal((400, "audio.max_duration"), (error.StatusCode, error.Param));
    }

    [Fact]
    public void Convert_AudioFieldOfTheWrongType_InvalidNamingItsPath()
    {
        var error = Refused("""{"messages":[{"role":"user","content":"Hi"}],"modalities":["text","audio"],"audio":{"temperature":"warm"}}""");

        Assert.Equal((400, "audio.temperature", "audio.temperature must be a number."), (error.StatusCode, error.Param, error.Message));
    }

    [Fact]
    public void Convert_AudioNotAnObject_InvalidNamingAudio()
    {
        var error = Refused("""{"messages":[{"role":"user","content":"Hi"}],"modalities":["text","audio"],"audio":"wav"}""");

        Assert.Equal((400, "audio"), (error.StatusCode, error.Param));
    }

    [Fact]
    public void Convert_AudioOnCompletions_Ignored()
    {
        using var document = JsonDocument.Parse("""{"prompt":"Hi","audio":{"format":"wav"}}""");

        var call = OpenAiRequestConverter.Convert(OpenAiApi.Completions, new OpenAiInput(JsonBody.Parse(document), null), Model);

        Assert.Null(call.Request.Audio);
    }

    [Fact]
    public void FromStatus_ValidationOfAnAudioField_NamesTheOpenAiField()
    {
        var error = OpenAiErrors.FromStatus(new Status(StatusCode.InvalidArgument, "audio.top_k must be in [0, 1024] (0 disables it), got 5000."),
            OpenAiApi.ChatCompletions, null);

        Assert.Equal(("audio.top_k", "audio.top_k must be in [0, 1024] (0 disables it), got 5000."), (error.Param, error.Message));
    }

    [Fact]
    public void FromStatus_AudioFromAPipelineWithoutSpeech_NamesModalities()
    {
        var error = OpenAiErrors.FromStatus(new Status(StatusCode.InvalidArgument,
            "outputs must be what this pipeline produces (Text, Image); it does not produce Audio."), OpenAiApi.ChatCompletions, null);

        Assert.Equal((400, "modalities"), (error.StatusCode, error.Param));
    }

    [Fact]
    public void ParamFor_TalkerSeedSentAsTheRequestSeed_NamesSeed()
    {
        using var document = JsonDocument.Parse("""{"messages":[{"role":"user","content":"Hi"}],"modalities":["audio"],"seed":5}""");

        Assert.Equal("seed", OpenAiFields.ParamFor(OpenAiApi.ChatCompletions, "audio.seed", JsonBody.Parse(document)));
    }

    [Fact]
    public void ParamFor_TalkerSeedSentInTheAudioObject_NamesAudioSeed()
    {
        using var document = JsonDocument.Parse("""{"messages":[{"role":"user","content":"Hi"}],"modalities":["audio"],"seed":5,"audio":{"seed":8}}""");

        Assert.Equal("audio.seed", OpenAiFields.ParamFor(OpenAiApi.ChatCompletions, "audio.seed", JsonBody.Parse(document)));
    }

    private static OpenAiCall Convert(string body)
    {
        using var document = JsonDocument.Parse(body);
        return OpenAiRequestConverter.Convert(OpenAiApi.ChatCompletions, new OpenAiInput(JsonBody.Parse(document), null), Model);
    }

    private static OpenAiRequestException Refused(string body) => Assert.Throws<OpenAiRequestException>(() => Convert(body));
}
