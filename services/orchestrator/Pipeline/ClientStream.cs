using System.Diagnostics;
using Grpc.Core;
using Omni.Contracts.V1;

namespace Omni.Orchestrator.Pipeline;

/// <summary>
/// The client's response stream, written by every stage that sends the client something (one write at a time), and
/// the modality metrics observed as each payload goes out.
/// </summary>
public sealed class ClientStream(IServerStreamWriter<GenerateResponse> client, ValidatedRequest request, long arrivalTimestamp,
    IPipelineObserver observer)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private bool _sentText;
    private bool _sentImage;

    public async Task WriteTextAsync(TextDelta text, CancellationToken cancellationToken)
    {
        await WriteAsync(new GenerateResponse { RequestId = request.RequestId, Text = text }, cancellationToken).ConfigureAwait(false);
        if (!_sentText)
        {
            _sentText = true;
            observer.OnFirstText(Stopwatch.GetElapsedTime(arrivalTimestamp));
        }
    }

    public async Task WriteImageAsync(Image image, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(image);
        await WriteAsync(new GenerateResponse { RequestId = request.RequestId, Image = image }, cancellationToken).ConfigureAwait(false);
        // Time to first packet and the steps asked for are the request's, once; the count and pixels are each image's.
        if (!_sentImage)
        {
            _sentImage = true;
            observer.OnFirstImage(Stopwatch.GetElapsedTime(arrivalTimestamp), request.Image?.Steps ?? 0);
        }
        observer.OnImage((int)image.Width, (int)image.Height);
    }

    /// <summary>The audio the client has received, against the real-time player.</summary>
    public AudioPlayback Audio { get; } = new();

    public async Task WriteAudioAsync(AudioChunk chunk, int stageId, uint replicaId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(chunk);
        await WriteAsync(new GenerateResponse { RequestId = request.RequestId, Audio = chunk }, cancellationToken).ConfigureAwait(false);
        var sinceArrival = Stopwatch.GetElapsedTime(arrivalTimestamp);
        if (!Audio.Started)
        {
            observer.OnFirstAudio(stageId, replicaId, sinceArrival);
        }
        Audio.Add(sinceArrival, (long)chunk.Samples, (int)chunk.SampleRate);
        observer.OnAudioSamples(stageId, replicaId, (long)chunk.Samples);
    }

    /// <summary>Video chunks written to the client so far.</summary>
    public int VideoChunks { get; private set; }

    public async Task WriteVideoAsync(VideoChunk chunk, int stageId, uint replicaId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(chunk);
        await WriteAsync(new GenerateResponse { RequestId = request.RequestId, Video = chunk }, cancellationToken).ConfigureAwait(false);
        if (VideoChunks++ == 0)
        {
            observer.OnFirstVideo(stageId, replicaId, Stopwatch.GetElapsedTime(arrivalTimestamp));
        }
    }

    private async Task WriteAsync(GenerateResponse response, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await client.WriteAsync(response, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }
}
