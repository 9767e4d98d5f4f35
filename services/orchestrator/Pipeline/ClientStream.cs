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
        observer.OnImage(Stopwatch.GetElapsedTime(arrivalTimestamp), (int)image.Width, (int)image.Height, request.Image?.Steps ?? 0);
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
