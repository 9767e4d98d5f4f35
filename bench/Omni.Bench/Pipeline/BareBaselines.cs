using System.Diagnostics;
using Grpc.Core;
using Grpc.Net.Client;
using Omni.Cli.Launching;
using Omni.Common.Payloads;
using Omni.Contracts.V1;

namespace Omni.Bench.Pipeline;

/// <summary>
/// The connectors' baselines, run beside them: this process streams the same chunk messages (the stage's own
/// chunker over the same number of bytes) to a bare receiver process, straight (two processes) or through a bare
/// relay process (three). Each transfer is timed on this process's clock from the first write to the receiver's
/// answer, which it sends once it has read the last chunk.
/// </summary>
internal sealed class BareBaselines : IAsyncDisposable
{
    private readonly List<Process> _peers;
    private readonly GrpcChannel _receiver;
    private readonly GrpcChannel _relay;

    private BareBaselines(List<Process> peers, string receiver, string relay)
    {
        _peers = peers;
        var options = new GrpcChannelOptions { MaxReceiveMessageSize = BarePeer.MaxMessageBytes, MaxSendMessageSize = BarePeer.MaxMessageBytes };
        _receiver = GrpcChannel.ForAddress(receiver, options);
        _relay = GrpcChannel.ForAddress(relay, options);
    }

    /// <summary>A bare relay process in front of <paramref name="stage"/>, passing its Process calls through.</summary>
    public static async Task<(Process Peer, string Address)> StartStageRelayAsync(string stage, CancellationToken cancellationToken)
    {
        var port = FreePorts.Take(1)[0];
        return (await StartPeerAsync(["--port", $"{port}", "--forward-to", stage], cancellationToken), $"http://127.0.0.1:{port}");
    }

    public static async Task<BareBaselines> StartAsync(CancellationToken cancellationToken)
    {
        var ports = FreePorts.Take(2);
        var receiver = $"http://127.0.0.1:{ports[0]}";
        var peers = new List<Process>
        {
            await StartPeerAsync(["--port", $"{ports[0]}"], cancellationToken),
            await StartPeerAsync(["--port", $"{ports[1]}", "--forward-to", receiver], cancellationToken),
        };
        return new BareBaselines(peers, receiver, $"http://127.0.0.1:{ports[1]}");
    }

    /// <summary>Milliseconds to stream <paramref name="payload"/> to the receiver directly.</summary>
    public Task<double> StreamAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken) =>
        TransferAsync(new Stage.StageClient(_receiver), payload, cancellationToken);

    /// <summary>Milliseconds to stream <paramref name="payload"/> to the receiver through the relay.</summary>
    public Task<double> RelayAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken) =>
        TransferAsync(new Stage.StageClient(_relay), payload, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        _receiver.Dispose();
        _relay.Dispose();
        foreach (var peer in _peers)
        {
            if (!peer.HasExited)
            {
                peer.Kill();
                await peer.WaitForExitAsync();
            }
            peer.Dispose();
        }
    }

    private static async Task<double> TransferAsync(Stage.StageClient client, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        using var call = client.PushTransfer(cancellationToken: cancellationToken);
        var start = Stopwatch.GetTimestamp();
        foreach (var chunk in TensorChunker.Chunk("hidden_states", DataType.Float32, [payload.Length / 4], payload))
        {
            await call.RequestStream.WriteAsync(new TransferMessage { Chunk = chunk }, cancellationToken);
        }
        await call.RequestStream.CompleteAsync();
        if (!await call.ResponseStream.MoveNext(cancellationToken))
        {
            throw new InvalidOperationException("The bare receiver did not answer.");
        }
        return Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    }

    private static async Task<Process> StartPeerAsync(IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        var self = Environment.ProcessPath ?? throw new InvalidOperationException("The benchmark's own path is unknown.");
        var start = new ProcessStartInfo(self) { RedirectStandardOutput = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            start.ArgumentList.Add(typeof(BarePeer).Assembly.Location);
        }
        start.ArgumentList.Add("bare-peer");
        foreach (var argument in arguments.Concat(["--parent-pid", $"{Environment.ProcessId}"]))
        {
            start.ArgumentList.Add(argument);
        }
        var process = Process.Start(start) ?? throw new InvalidOperationException("Cannot start a bare peer.");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        var line = await process.StandardOutput.ReadLineAsync(timeout.Token);
        if (line != "ready")
        {
            process.Kill();
            throw new InvalidOperationException($"The bare peer did not start (it wrote '{line}').");
        }
        return process;
    }
}
