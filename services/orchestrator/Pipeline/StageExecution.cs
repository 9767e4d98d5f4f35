using System.Diagnostics;
using Grpc.Core;
using Omni.Common.Tracing;
using Omni.Contracts.V1;
using Omni.Orchestrator.Graph;
using Omni.Orchestrator.Pipeline.Connectors;
using Omni.Orchestrator.Routing;

namespace Omni.Orchestrator.Pipeline;

/// <summary>
/// One stage's call for one request: opens it with the header, hands its client outputs to the client and its
/// relayed tensors to the edges that carry them, and keeps its final. A stage with no inputs whose replica cannot be
/// reached before it produced anything is retried on another replica, unless it pushes an edge directly.
/// </summary>
public sealed class StageExecution : IDisposable
{
    private readonly IReplicaBinder _binder;
    private readonly IPipelineObserver _observer;
    private readonly List<IEdgeConnector> _outgoing = [];
    private readonly List<IEdgeConnector> _incoming = [];

    public StageExecution(PlannedStage planned, StageBinding binding, ValidatedRequest request, IReplicaBinder binder, IPipelineObserver observer)
    {
        ArgumentNullException.ThrowIfNull(planned);
        ArgumentNullException.ThrowIfNull(request);
        Planned = planned;
        Binding = binding;
        _binder = binder;
        _observer = observer;
        Input = new StageInputWriter(planned.Inputs.Count(edge => edge.Connector == Configuration.Connector.Relay));
        Header = new StageRequest { RequestId = request.RequestId, Prompt = request.Prompt, Text = request.ToTextParams() };
        if (request.ToImageParams() is { } image)
        {
            Header.Image = image;
        }
        if (request.ToAudioParams() is { } audio)
        {
            Header.Audio = audio;
        }
        if (request.ToVideoParams() is { } video)
        {
            Header.Video = video;
        }
        Header.Inputs.AddRange(planned.InputTensors);
        Header.Outputs.AddRange(planned.StreamOutputs);
    }

    public PlannedStage Planned { get; }

    public StageNode Node => Planned.Node;

    public StageBinding Binding { get; private set; }

    public StageRequest Header { get; }

    public StageInputWriter Input { get; }

    public StageFinal? Final { get; private set; }

    public TimeSpan Elapsed { get; private set; }

    public void AddOutgoing(IEdgeConnector connector) => _outgoing.Add(connector);

    // Its replica pushes over a direct edge under the request's one transfer id, which the consumer's header names: what
    // it may have pushed before failing is out of sight here, and a second producer of that id would be refused.
    private bool PushesDirect => Planned.Outputs.Any(edge => edge.Connector == Configuration.Connector.Direct);

    public void AddIncoming(IEdgeConnector connector) => _incoming.Add(connector);

    public async Task RunAsync(ClientStream client, DateTime? deadline, CancellationToken cancellationToken)
    {
        while (true)
        {
            var produced = false;
            try
            {
                await AttemptAsync(client, deadline, () => produced = true, cancellationToken).ConfigureAwait(false);
                break;
            }
            catch (RpcException error) when (error.StatusCode == StatusCode.Unavailable && !cancellationToken.IsCancellationRequested)
            {
                Binding.ReportFailure(error);
                if (produced || Planned.Inputs.Count > 0 || PushesDirect)
                {
                    throw;
                }
                var other = await _binder.BindAsync(Node, Binding, cancellationToken).ConfigureAwait(false);
                if (other.Address == Binding.Address)
                {
                    other.Dispose();
                    throw;
                }
                Binding.Dispose();
                Binding = other;
            }
        }
        foreach (var connector in _outgoing)
        {
            await connector.OnUpstreamFinishedAsync(Final!, cancellationToken).ConfigureAwait(false);
        }
        foreach (var connector in _incoming)
        {
            connector.OnDownstreamFinished(Final!);
        }
        _observer.OnStageCompleted(Node.StageId, Binding.ReplicaId, Elapsed);
    }

    private async Task AttemptAsync(ClientStream client, DateTime? deadline, Action onOutput, CancellationToken requestToken)
    {
        try
        {
            using var lost = CancellationTokenSource.CreateLinkedTokenSource(requestToken, Binding.Lost);
            await AttemptOnReplicaAsync(client, deadline, onOutput, lost.Token).ConfigureAwait(false);
        }
        catch (Exception error) when (Binding.Lost.IsCancellationRequested && !requestToken.IsCancellationRequested
            && error is OperationCanceledException or RpcException { StatusCode: StatusCode.Cancelled })
        {
            throw new RpcException(new Status(StatusCode.Unavailable, $"Replica {Binding.Address} of stage {Node.Name} stopped responding."));
        }
    }

    private async Task AttemptOnReplicaAsync(ClientStream client, DateTime? deadline, Action onOutput, CancellationToken cancellationToken)
    {
        var start = Stopwatch.GetTimestamp();
        using var span = OmniTrace.Source.StartActivity("omni.stage_call", ActivityKind.Internal);
        span?.SetTag(OmniTrace.Stage, Node.Name)
            .SetTag(OmniTrace.StageId, Node.StageId)
            .SetTag(OmniTrace.ReplicaId, Binding.ReplicaId)
            .SetTag(OmniTrace.StageKind, Binding.Info?.Kind);
        try
        {
            await CallReplicaAsync(client, deadline, onOutput, start, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception error)
        {
            span?.SetStatus(ActivityStatusCode.Error, error.Message);
            throw;
        }
    }

    private async Task CallReplicaAsync(ClientStream client, DateTime? deadline, Action onOutput, long start, CancellationToken cancellationToken)
    {
        using var call = Binding.Client.Process(deadline: deadline, cancellationToken: cancellationToken);
        try
        {
            await call.RequestStream.WriteAsync(new StageInput { Header = Header }, cancellationToken).ConfigureAwait(false);
            await Input.AttachAsync(call.RequestStream).ConfigureAwait(false);
        }
        catch (Exception error) when (Planned.Inputs.Count > 0)
        {
            Input.Fail(error);
            throw;
        }

        StageFinal? final = null;
        while (await call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false))
        {
            onOutput();
            var output = call.ResponseStream.Current;
            switch (output.KindCase)
            {
                case StageOutput.KindOneofCase.Text when Planned.ClientOutputs.Contains(Modalities.Text):
                    await client.WriteTextAsync(output.Text, cancellationToken).ConfigureAwait(false);
                    break;
                case StageOutput.KindOneofCase.Image when Planned.ClientOutputs.Contains(Modalities.Image):
                    await client.WriteImageAsync(output.Image, cancellationToken).ConfigureAwait(false);
                    break;
                case StageOutput.KindOneofCase.Audio when Planned.ClientOutputs.Contains(Modalities.Audio):
                    await client.WriteAudioAsync(output.Audio, Node.StageId, Binding.ReplicaId, cancellationToken).ConfigureAwait(false);
                    break;
                case StageOutput.KindOneofCase.Video when Planned.ClientOutputs.Contains(Modalities.Video):
                    await client.WriteVideoAsync(output.Video, Node.StageId, Binding.ReplicaId, cancellationToken).ConfigureAwait(false);
                    break;
                case StageOutput.KindOneofCase.Chunk:
                    await RouteAsync(output.Chunk, Stopwatch.GetTimestamp(), cancellationToken).ConfigureAwait(false);
                    break;
                case StageOutput.KindOneofCase.Final:
                    final = output.Final;
                    break;
                default:
                    throw Unexpected($"an unexpected {output.KindCase} message");
            }
        }
        Final = final ?? throw Unexpected("no final message");
        Elapsed = Stopwatch.GetElapsedTime(start);
    }

    private async Task RouteAsync(TensorChunk chunk, long arrived, CancellationToken cancellationToken)
    {
        var routed = false;
        foreach (var connector in _outgoing)
        {
            if (connector.Edge.Connector == Configuration.Connector.Relay && connector.Edge.Carries(chunk.Name))
            {
                await connector.OnChunkAsync(chunk, arrived, cancellationToken).ConfigureAwait(false);
                routed = true;
            }
        }
        if (!routed)
        {
            throw Unexpected($"tensor '{chunk.Name}', which no relay edge of this request carries");
        }
    }

    private RpcException Unexpected(string what) =>
        new(new Status(StatusCode.Internal, $"Stage {Node.Name} (replica {Binding.ReplicaId}) sent {what}."));

    public void Dispose() => Binding.Dispose();
}
