using System.Text;
using Grpc.Core;
using Grpc.Net.Client;
using Omni.Contracts.V1;

namespace Omni.Cli.Client;

/// <summary>A client of the orchestrator's public API.</summary>
public sealed class OmniClient(string address) : IDisposable
{
    private readonly GrpcChannel _channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions { MaxReceiveMessageSize = 64 << 20 });

    public Contracts.V1.Omni.OmniClient Raw => new(_channel);

    /// <summary>
    /// Runs one request to the end; <paramref name="onText"/>, <paramref name="onAudio"/> and <paramref name="onVideo"/> see each text delta,
    /// audio chunk and video chunk as it arrives.
    /// </summary>
    /// <param name="traceParent">A W3C traceparent to send, so the request joins that trace.</param>
    public async Task<GenerateResult> GenerateAsync(GenerateRequest request, Action<string>? onText = null, DateTime? deadline = null,
        CancellationToken cancellationToken = default, string? traceParent = null, Action<AudioChunk>? onAudio = null,
        Action<VideoChunk>? onVideo = null)
    {
        var headers = traceParent is null ? null : new Metadata { { "traceparent", traceParent } };
        using var call = Raw.Generate(request, headers, deadline, cancellationToken);
        var text = new StringBuilder();
        var tokenIds = new List<int>();
        var logprobs = new List<TokenLogprob>();
        var textMessages = 0;
        var images = new List<Image>();
        var audio = new List<AudioChunk>();
        var video = new List<VideoChunk>();
        var sent = System.Diagnostics.Stopwatch.StartNew();
        TimeSpan? firstAudio = null, lastAudio = null, firstVideo = null, lastVideo = null;
        GenerateFinal? final = null;
        var requestId = request.RequestId;
        await foreach (var response in call.ResponseStream.ReadAllAsync(cancellationToken))
        {
            requestId = response.RequestId;
            switch (response.PayloadCase)
            {
                case GenerateResponse.PayloadOneofCase.Text:
                    textMessages++;
                    text.Append(response.Text.Text);
                    tokenIds.AddRange(response.Text.TokenIds);
                    logprobs.AddRange(response.Text.Logprobs);
                    onText?.Invoke(response.Text.Text);
                    break;
                case GenerateResponse.PayloadOneofCase.Image:
                    images.Add(response.Image);
                    break;
                case GenerateResponse.PayloadOneofCase.Audio:
                    audio.Add(response.Audio);
                    firstAudio ??= sent.Elapsed;
                    lastAudio = sent.Elapsed;
                    onAudio?.Invoke(response.Audio);
                    break;
                case GenerateResponse.PayloadOneofCase.Video:
                    video.Add(response.Video);
                    firstVideo ??= sent.Elapsed;
                    lastVideo = sent.Elapsed;
                    onVideo?.Invoke(response.Video);
                    break;
                case GenerateResponse.PayloadOneofCase.Final:
                    final = response.Final;
                    break;
            }
        }
        return new GenerateResult(requestId, text.ToString(), tokenIds, logprobs, textMessages, images,
            final ?? throw new InvalidOperationException("The stream ended without a final message."))
        {
            AudioChunks = audio,
            FirstAudio = firstAudio,
            LastAudio = lastAudio,
            VideoChunks = video,
            FirstVideo = firstVideo,
            LastVideo = lastVideo,
        };
    }

    public void Dispose() => _channel.Dispose();
}
