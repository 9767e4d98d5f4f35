using Grpc.Core;
using Omni.Contracts.V1;

namespace Omni.Orchestrator.Tests.Support;

/// <summary>The client's response stream: what the runner wrote, in order.</summary>
public sealed class ClientRecorder : IServerStreamWriter<GenerateResponse>
{
    private readonly List<GenerateResponse> _responses = [];

    public WriteOptions? WriteOptions { get; set; }

    public IReadOnlyList<GenerateResponse> Responses
    {
        get
        {
            lock (_responses)
            {
                return [.. _responses];
            }
        }
    }

    public Task WriteAsync(GenerateResponse message, CancellationToken cancellationToken) => WriteAsync(message);

    public Task WriteAsync(GenerateResponse message)
    {
        lock (_responses)
        {
            _responses.Add(message);
        }
        return Task.CompletedTask;
    }
}
