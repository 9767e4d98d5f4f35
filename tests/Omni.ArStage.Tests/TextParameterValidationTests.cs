using Grpc.Core;
using Omni.Common.Validation;
using Omni.Contracts.V1;

namespace Omni.ArStage.Tests;

/// <summary>The sampling fields of TextParams as RequestValidator resolves them for the AR stage.</summary>
public sealed class TextParameterValidationTests
{
    [Fact]
    public void ValidateText_Unset_SamplingFieldsOff()
    {
        var text = RequestValidator.ValidateText(null);

        Assert.Equal((0f, 1f, 0f, 0f, false, (int?)null), (text.MinP, text.RepetitionPenalty, text.PresencePenalty, text.FrequencyPenalty, text.IgnoreEos, text.Logprobs));
        Assert.Empty(text.StopTokenIds);
    }

    [Fact]
    public void ValidateText_EverySamplingField_Resolved()
    {
        var request = new TextParams
        {
            MinP = 0.1f, RepetitionPenalty = 1.3f, PresencePenalty = -0.5f, FrequencyPenalty = 2f, IgnoreEos = true, Logprobs = 0,
        };
        request.StopTokenIds.Add([5, 0]);

        var text = RequestValidator.ValidateText(request);

        Assert.Equal((0.1f, 1.3f, -0.5f, 2f, true, (int?)0), (text.MinP, text.RepetitionPenalty, text.PresencePenalty, text.FrequencyPenalty, text.IgnoreEos, text.Logprobs));
        Assert.Equal([5, 0], text.StopTokenIds);
    }

    [Theory]
    [InlineData("min_p", -0.1f, "text.min_p must be in [0, 1), got -0.1.")]
    [InlineData("min_p", 1f, "text.min_p must be in [0, 1), got 1.")]
    [InlineData("repetition_penalty", 0f, "text.repetition_penalty must be in (0, 2], got 0.")]
    [InlineData("repetition_penalty", float.NaN, "text.repetition_penalty must be in (0, 2], got NaN.")]
    [InlineData("presence_penalty", 2.5f, "text.presence_penalty must be in [-2, 2], got 2.5.")]
    [InlineData("frequency_penalty", -3f, "text.frequency_penalty must be in [-2, 2], got -3.")]
    public void ValidateText_FloatOutOfRange_NamesFieldAndRange(string field, float value, string message)
    {
        var request = new TextParams();
        switch (field)
        {
            case "min_p": request.MinP = value; break;
            case "repetition_penalty": request.RepetitionPenalty = value; break;
            case "presence_penalty": request.PresencePenalty = value; break;
            default: request.FrequencyPenalty = value; break;
        }

        var error = Assert.Throws<RpcException>(() => RequestValidator.ValidateText(request));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal(message, error.Status.Detail);
    }

    [Fact]
    public void ValidateText_SeventeenStopTokenIds_Rejected()
    {
        var request = new TextParams();
        request.StopTokenIds.Add(Enumerable.Range(0, 17));

        var error = Assert.Throws<RpcException>(() => RequestValidator.ValidateText(request));

        Assert.Equal("text.stop_token_ids must have at most 16 entries, got 17.", error.Status.Detail);
    }

    [Fact]
    public void ValidateText_NegativeStopTokenId_NamesIndex()
    {
        var request = new TextParams();
        request.StopTokenIds.Add([3, -1]);

        var error = Assert.Throws<RpcException>(() => RequestValidator.ValidateText(request));

        Assert.Equal("text.stop_token_ids[1] must be a token id (>= 0), got -1.", error.Status.Detail);
    }

    [Fact]
    public void ValidateText_TwentyOneLogprobs_Rejected()
    {
        var error = Assert.Throws<RpcException>(() => RequestValidator.ValidateText(new TextParams { Logprobs = 21 }));

        Assert.Equal("text.logprobs must be in [0, 20], got 21.", error.Status.Detail);
    }
}
