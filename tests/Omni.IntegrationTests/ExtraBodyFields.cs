using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text.Json.Nodes;

namespace Omni.IntegrationTests;

/// <summary>
/// Adds fields the OpenAI .NET client has no property for (our extensions, such as an image's seed) to every request
/// body it sends: the way a .NET user reaches a vLLM-style extension through that client.
/// </summary>
public sealed class ExtraBodyFields(IReadOnlyDictionary<string, JsonNode> fields) : PipelinePolicy
{
    public override void Process(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
    {
        ArgumentNullException.ThrowIfNull(message);
        AddFields(message);
        ProcessNext(message, pipeline, currentIndex);
    }

    public override async ValueTask ProcessAsync(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
    {
        ArgumentNullException.ThrowIfNull(message);
        AddFields(message);
        await ProcessNextAsync(message, pipeline, currentIndex).ConfigureAwait(false);
    }

    private void AddFields(PipelineMessage message)
    {
        if (message.Request.Content is not { } content)
        {
            return;
        }
        using var buffer = new MemoryStream();
        content.WriteTo(buffer);
        var body = JsonNode.Parse(buffer.ToArray())!.AsObject();
        foreach (var (name, value) in fields)
        {
            body[name] = value.DeepClone();
        }
        message.Request.Content = BinaryContent.Create(BinaryData.FromString(body.ToJsonString()));
    }
}
