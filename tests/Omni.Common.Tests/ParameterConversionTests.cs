using Google.Protobuf;
using Google.Protobuf.Reflection;
using Omni.Common.Validation;
using Omni.Contracts.V1;

namespace Omni.Common.Tests;

/// <summary>
/// The one conversion per direction: RequestValidator (proto to resolved) and ToTextParams / ToImageParams (resolved
/// to proto, for the next hop). A message with every field set comes back unchanged; a new field fails the
/// every-field guard until the sample sets it.
/// </summary>
public sealed class ParameterConversionTests
{
    private static TextParams EveryTextField()
    {
        var text = new TextParams
        {
            MaxTokens = 17, Temperature = 0.7f, TopP = 0.9f, TopK = 40, Seed = 5, MinP = 0.05f, RepetitionPenalty = 1.2f,
            PresencePenalty = -0.5f, FrequencyPenalty = 0.25f, IgnoreEos = true, Logprobs = 3,
        };
        text.Stop.Add(["end", "\n\n"]);
        text.StopTokenIds.Add([7, 11]);
        return text;
    }

    private static ImageParams EveryImageField() => new()
    {
        Width = 128, Height = 64, NumInferenceSteps = 7, GuidanceScale = 3f, Seed = 9, NegativePrompt = "dark", Scheduler = Scheduler.Ddim,
        Shift = 2f, TimestepSpacing = TimestepSpacing.Trailing, NumImages = 2, OutputFormat = ImageFormat.Rgb8,
    };

    [Fact]
    public void ToTextParams_EveryFieldSet_SameMessage()
    {
        var text = EveryTextField();

        Assert.Equal(text, RequestValidator.ValidateText(text).ToTextParams());
    }

    [Fact]
    public void ToImageParams_EveryFieldSet_SameMessage()
    {
        var image = EveryImageField();

        Assert.Equal(image, RequestValidator.ValidateImage(image).ToImageParams());
    }

    [Fact]
    public void ToTextParams_Unset_DefaultsExplicit()
    {
        var text = RequestValidator.ValidateText(new TextParams()).ToTextParams();

        Assert.Equal((64u, 1f, 1f, 0, false, false), (text.MaxTokens, text.Temperature, text.TopP, text.TopK, text.HasSeed, text.HasLogprobs));
    }

    [Theory]
    [InlineData(nameof(TextParams))]
    [InlineData(nameof(ImageParams))]
    public void Samples_EveryFieldOfTheMessage_Set(string message)
    {
        IMessage sample = message == nameof(TextParams) ? EveryTextField() : EveryImageField();

        foreach (var field in sample.Descriptor.Fields.InFieldNumberOrder())
        {
            var value = field.Accessor.GetValue(sample);
            var set = field.IsRepeated ? ((System.Collections.IList)value).Count > 0
                : field.HasPresence ? field.Accessor.HasValue(sample)
                : field.FieldType == FieldType.Enum ? (int)value != 0
                : !Equals(value, DefaultOf(field));
            Assert.True(set, $"{message}.{field.Name} is not set in the sample: set it so the round trip covers it.");
        }
    }

    private static object? DefaultOf(FieldDescriptor field) => field.FieldType switch
    {
        FieldType.String => "",
        FieldType.Bool => false,
        FieldType.UInt32 or FieldType.Fixed32 => 0u,
        FieldType.UInt64 or FieldType.Fixed64 => 0ul,
        FieldType.Int32 or FieldType.SInt32 or FieldType.SFixed32 => 0,
        FieldType.Int64 or FieldType.SInt64 or FieldType.SFixed64 => 0L,
        FieldType.Float => 0f,
        FieldType.Double => 0d,
        _ => null,
    };
}
