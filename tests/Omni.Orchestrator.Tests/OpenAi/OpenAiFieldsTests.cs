using Omni.Testing;
using System.Collections;
using System.Text.Json;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Omni.Contracts.V1;
using Omni.Orchestrator.OpenAi;

namespace Omni.Orchestrator.Tests.OpenAi;

/// <summary>
/// Every field of the public request is reachable through the HTTP door: the proto is enumerated, each field must have
/// a mapping in <see cref="OpenAiFields"/>, and each mapping an example here showing the OpenAI field setting it. A new
/// request field fails <see cref="Mappings_EveryRequestField_IsCarriedByTheHttpDoor"/> until the door carries it.
/// </summary>
public sealed class OpenAiFieldsTests
{
    private const string Model = "omni-default";

    /// <summary>(api, proto path) -> an OpenAI body (and X-Request-Id header) and the proto field's value it gives.</summary>
    private static readonly Dictionary<(OpenAiApi, string), (string Body, string? Header, string Expected)> Examples = new()
    {
        [(OpenAiApi.ChatCompletions, "prompt")] = ("""{"messages":[{"role":"user","content":"Hi"}]}""", null,
            "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"),
        [(OpenAiApi.ChatCompletions, "outputs")] = ("""{"messages":[{"role":"user","content":"Hi"}],"modalities":["text"]}""", null, "Text"),
        [(OpenAiApi.ChatCompletions, "text.logprobs")] = ("""{"messages":[{"role":"user","content":"Hi"}],"logprobs":true,"top_logprobs":3}""", null, "3"),
        [(OpenAiApi.Completions, "prompt")] = ("""{"prompt":"Once upon"}""", null, "Once upon"),
        [(OpenAiApi.Completions, "outputs")] = ("""{"prompt":"Once upon"}""", null, "Text"),
        [(OpenAiApi.Completions, "text.logprobs")] = ("""{"prompt":"Once upon","logprobs":2}""", null, "2"),
        [(OpenAiApi.ImageGenerations, "prompt")] = ("""{"prompt":"A red square"}""", null, "A red square"),
        [(OpenAiApi.ImageGenerations, "outputs")] = ("""{"prompt":"A red square"}""", null, "Image"),
        [(OpenAiApi.ImageGenerations, "image.width")] = ("""{"prompt":"x","size":"128x64"}""", null, "128"),
        [(OpenAiApi.ImageGenerations, "image.height")] = ("""{"prompt":"x","size":"128x64"}""", null, "64"),
        [(OpenAiApi.ImageGenerations, "image.num_images")] = ("""{"prompt":"x","n":3}""", null, "3"),
        [(OpenAiApi.ImageGenerations, "image.num_inference_steps")] = ("""{"prompt":"x","num_inference_steps":7}""", null, "7"),
        [(OpenAiApi.ImageGenerations, "image.guidance_scale")] = ("""{"prompt":"x","guidance_scale":4.5}""", null, "4.5"),
        [(OpenAiApi.ImageGenerations, "image.seed")] = ("""{"prompt":"x","seed":42}""", null, "42"),
        [(OpenAiApi.ImageGenerations, "image.negative_prompt")] = ("""{"prompt":"x","negative_prompt":"blurry"}""", null, "blurry"),
        [(OpenAiApi.ImageGenerations, "image.scheduler")] = ("""{"prompt":"x","scheduler":"ddim"}""", null, "Ddim"),
        [(OpenAiApi.ImageGenerations, "image.shift")] = ("""{"prompt":"x","shift":3}""", null, "3"),
        [(OpenAiApi.ImageGenerations, "image.timestep_spacing")] = ("""{"prompt":"x","timestep_spacing":"trailing"}""", null, "Trailing"),
        [(OpenAiApi.ImageGenerations, "image.output_format")] = ("""{"prompt":"x","output_format":"rgb8"}""", null, "Rgb8"),
        [(OpenAiApi.ImageGenerations, "request_id")] = ("""{"prompt":"x"}""", "image-1", "image-1"),
        [(OpenAiApi.VideoGenerations, "prompt")] = ("""{"prompt":"A red square"}""", null, "A red square"),
        [(OpenAiApi.VideoGenerations, "outputs")] = ("""{"prompt":"A red square"}""", null, "Video"),
        [(OpenAiApi.VideoGenerations, "video.width")] = ("""{"prompt":"x","size":"128x64"}""", null, "128"),
        [(OpenAiApi.VideoGenerations, "video.height")] = ("""{"prompt":"x","size":"128x64"}""", null, "64"),
        [(OpenAiApi.VideoGenerations, "video.frames")] = ("""{"prompt":"x","num_frames":12}""", null, "12"),
        [(OpenAiApi.VideoGenerations, "video.fps")] = ("""{"prompt":"x","fps":24}""", null, "24"),
        [(OpenAiApi.VideoGenerations, "video.num_inference_steps")] = ("""{"prompt":"x","num_inference_steps":7}""", null, "7"),
        [(OpenAiApi.VideoGenerations, "video.guidance_scale")] = ("""{"prompt":"x","guidance_scale":4.5}""", null, "4.5"),
        [(OpenAiApi.VideoGenerations, "video.seed")] = ("""{"prompt":"x","seed":42}""", null, "42"),
        [(OpenAiApi.VideoGenerations, "video.scheduler")] = ("""{"prompt":"x","scheduler":"ddim"}""", null, "Ddim"),
        [(OpenAiApi.VideoGenerations, "video.format")] = ("""{"prompt":"x","output_format":"frames"}""", null, "Frames"),
        [(OpenAiApi.VideoGenerations, "request_id")] = ("""{"prompt":"x"}""", "video-1", "video-1"),
    };

    /// <summary>The sampling fields chat and completions share, each with its OpenAI field and the value it gives.</summary>
    private static readonly Dictionary<string, (string Field, string Expected)> Sampling = new()
    {
        ["text.max_tokens"] = ("\"max_tokens\":12", "12"),
        ["text.temperature"] = ("\"temperature\":0.5", "0.5"),
        ["text.top_p"] = ("\"top_p\":0.25", "0.25"),
        ["text.top_k"] = ("\"top_k\":5", "5"),
        ["text.seed"] = ("\"seed\":9", "9"),
        ["text.stop"] = ("\"stop\":[\"a\",\"b\"]", "a,b"),
        ["text.min_p"] = ("\"min_p\":0.125", "0.125"),
        ["text.repetition_penalty"] = ("\"repetition_penalty\":1.5", "1.5"),
        ["text.presence_penalty"] = ("\"presence_penalty\":-1", "-1"),
        ["text.frequency_penalty"] = ("\"frequency_penalty\":1", "1"),
        ["text.stop_token_ids"] = ("\"stop_token_ids\":[3,4]", "3,4"),
        ["text.ignore_eos"] = ("\"ignore_eos\":true", "True"),
        ["request_id"] = ("\"n\":1", "text-1"),
    };

    /// <summary>The speech fields, each inside chat's <c>audio</c> object, with the value it gives.</summary>
    private static readonly Dictionary<string, (string Field, string Expected)> Speech = new()
    {
        ["audio.format"] = ("\"format\":\"wav\"", "Wav"),
        ["audio.temperature"] = ("\"temperature\":0.5", "0.5"),
        ["audio.top_p"] = ("\"top_p\":0.25", "0.25"),
        ["audio.top_k"] = ("\"top_k\":5", "5"),
        ["audio.repetition_penalty"] = ("\"repetition_penalty\":1.5", "1.5"),
        ["audio.seed"] = ("\"seed\":9", "9"),
        ["audio.max_duration_seconds"] = ("\"max_duration_seconds\":1.5", "1.5"),
        ["audio.chunk_frames"] = ("\"chunk_frames\":10", "10"),
    };

    static OpenAiFieldsTests()
    {
        foreach (var (path, (field, expected)) in Speech)
        {
            var audio = "{" + field + "}";
            Examples[(OpenAiApi.ChatCompletions, path)] =
                ($$"""{"messages":[{"role":"user","content":"Hi"}],"modalities":["text","audio"],"audio":{{audio}}}""", null, expected);
        }
        foreach (var (path, (field, expected)) in Sampling)
        {
            var header = path == "request_id" ? expected : null;
            Examples[(OpenAiApi.ChatCompletions, path)] = ($$"""{"messages":[{"role":"user","content":"Hi"}],{{field}}}""", header, expected);
            Examples[(OpenAiApi.Completions, path)] = ($$"""{"prompt":"Hi",{{field}}}""", header, expected);
        }
    }

    public static TheoryData<string> RequestFields()
    {
        var fields = new TheoryData<string>();
        foreach (var path in LeafPaths(GenerateRequest.Descriptor, ""))
        {
            fields.Add(path);
        }
        return fields;
    }

    public static TheoryData<OpenAiApi, string> Mappings()
    {
        var mappings = new TheoryData<OpenAiApi, string>();
        foreach (var api in Enum.GetValues<OpenAiApi>())
        {
            foreach (var mapping in OpenAiFields.For(api))
            {
                mappings.Add(api, mapping.ProtoPath);
            }
        }
        return mappings;
    }

    [Theory]
    [MemberData(nameof(RequestFields))]
    public void Mappings_EveryRequestField_IsCarriedByTheHttpDoor(string protoPath)
    {
        var apis = Enum.GetValues<OpenAiApi>().Where(api => OpenAiFields.For(api).Any(mapping => mapping.ProtoPath == protoPath)).ToList();

        Assert.True(apis.Count > 0, $"No OpenAI field of the HTTP door sets GenerateRequest.{protoPath}: add it to OpenAiFields.");
    }

    [Theory]
    [MemberData(nameof(Mappings))]
    public void Convert_MappedField_SetsTheProtoField(OpenAiApi api, string protoPath)
    {
        Assert.True(Examples.TryGetValue((api, protoPath), out var example), $"No example for {api} {protoPath}: add one to this test.");
        using var document = JsonDocument.Parse(example.Body);

        var call = OpenAiRequestConverter.Convert(api, new OpenAiInput(JsonBody.Parse(document), example.Header), Model);

        Assert.Equal(example.Expected, Read(call.Request, protoPath));
    }

    private static IEnumerable<string> LeafPaths(MessageDescriptor message, string prefix)
    {
        foreach (var field in message.Fields.InFieldNumberOrder())
        {
            if (field.FieldType == FieldType.Message)
            {
                foreach (var path in LeafPaths(field.MessageType, prefix + field.Name + "."))
                {
                    yield return path;
                }
            }
            else
            {
                yield return prefix + field.Name;
            }
        }
    }

    private static string Read(IMessage message, string path)
    {
        var parts = path.Split('.');
        object? value = message;
        foreach (var part in parts)
        {
            var current = (IMessage)value!;
            value = current.Descriptor.FindFieldByName(part).Accessor.GetValue(current);
        }
        return value switch
        {
            string text => text,
            IEnumerable items => string.Join(",", items.Cast<object>().Select(Format)),
            _ => Format(value!),
        };
    }

    private static string Format(object value) => value switch
    {
        float number => number.ToString(System.Globalization.CultureInfo.InvariantCulture),
        _ => value.ToString()!,
    };
}

public sealed class OpenAiFieldsDocumentationTests
{
    public static TheoryData<string> OpenAiParams()
    {
        var names = new TheoryData<string>();
        foreach (var name in Enum.GetValues<OpenAiApi>().SelectMany(OpenAiFields.For).SelectMany(mapping => mapping.Params).Distinct())
        {
            names.Add(name);
        }
        return names;
    }

    [Theory]
    [MemberData(nameof(OpenAiParams))]
    public void UsageDoc_EveryFieldTheHttpDoorReads_IsInItsTable(string param)
    {
        var usage = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "docs", "usage.md"));
        var door = usage[usage.IndexOf("## The HTTP door", StringComparison.Ordinal)..];

        Assert.Contains($"`{param}`", door, StringComparison.Ordinal);
    }

}
