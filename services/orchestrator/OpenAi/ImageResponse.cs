using Microsoft.AspNetCore.Http;
using Omni.Contracts.V1;

namespace Omni.Orchestrator.OpenAi;

/// <summary>An image generation: every image as <c>b64_json</c> in index order, with the timing breakdown under <c>omni</c>.</summary>
public sealed class ImageResponse(HttpContext context, string requestId, long created) : OpenAiResponse(context)
{
    private readonly List<Image> _images = [];

    public override async Task WriteAsync(GenerateResponse message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        switch (message.PayloadCase)
        {
            case GenerateResponse.PayloadOneofCase.Image:
                _images.Add(message.Image);
                break;
            case GenerateResponse.PayloadOneofCase.Final:
                await WriteBodyAsync(Whole(message.Final), cancellationToken).ConfigureAwait(false);
                break;
            default:
                throw new InvalidOperationException($"An image response got a {message.PayloadCase} payload.");
        }
    }

    private byte[] Whole(GenerateFinal final) => OpenAiJson.Write(json =>
    {
        json.WriteStartObject();
        json.WriteNumber("created", created);
        json.WriteStartArray("data");
        foreach (var image in _images.OrderBy(image => image.Index))
        {
            json.WriteStartObject();
            json.WriteBase64String("b64_json", image.Data.Span);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        if (_images.Count > 0)
        {
            json.WriteString("size", $"{_images[0].Width}x{_images[0].Height}");
            json.WriteString("output_format", _images[0].MimeType == "image/png" ? "png" : "rgb8");
        }
        OpenAiJson.WriteBreakdown(json, requestId, final);
        json.WriteEndObject();
    });
}
