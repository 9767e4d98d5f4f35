using System.Runtime.ExceptionServices;
using Grpc.Core;
using Omni.Contracts.V1;
using Omni.Orchestrator.Graph;
using Omni.Orchestrator.Pipeline.Connectors;
using Omni.Orchestrator.Routing;

namespace Omni.Orchestrator.Pipeline;

/// <summary>
/// Runs one admitted request through the smallest sub-graph of the pipeline that produces what the client asked for:
/// binds one replica per stage (least-loaded, kept for the whole request), opens every stage call at once, wires each
/// edge through its connector, streams client outputs as they appear, and assembles one final message from the same
/// measurements as the metrics. The first stage or edge to fail cancels the rest, and its error is the request's.
/// </summary>
public sealed class GraphRunner(PipelineGraph graph, IReplicaBinder binder, IPipelineObserver observer)
{
    /// <summary>The stages and edges the request needs; INVALID_ARGUMENT naming <c>outputs</c> for one this pipeline does not produce.</summary>
    public RequestPlan Plan(ValidatedRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return graph.Plan(request.ClientOutputs);
    }

    public async Task<GenerateFinal> RunAsync(ValidatedRequest request, RequestPlan plan, long arrivalTimestamp, TimeSpan queueTime,
        IServerStreamWriter<GenerateResponse> client, DateTime? deadline, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(plan);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var token = linked.Token;
        var executions = new Dictionary<StageNode, StageExecution>();
        try
        {
            foreach (var planned in plan.Stages)
            {
                executions[planned.Node] = new StageExecution(planned, await binder.BindAsync(planned.Node, null, token).ConfigureAwait(false),
                    request, binder, observer);
            }
            var connectors = Wire(plan, executions);

            var stream = new ClientStream(client, request, arrivalTimestamp, observer);
            var failures = new FailureCollector(linked);
            await Task.WhenAll(executions.Values.Select(execution => failures.Watch(execution.RunAsync(stream, deadline, token)))).ConfigureAwait(false);
            failures.ThrowIfAny();
            return ResultAssembler.Assemble(request, plan, executions, connectors, stream, queueTime, arrivalTimestamp, observer);
        }
        finally
        {
            await linked.CancelAsync().ConfigureAwait(false);
            foreach (var execution in executions.Values)
            {
                execution.Dispose();
            }
        }
    }

    private static List<IEdgeConnector> Wire(RequestPlan plan, Dictionary<StageNode, StageExecution> executions)
    {
        var connectors = new List<IEdgeConnector>();
        foreach (var edge in plan.Edges)
        {
            var (from, to) = (executions[edge.From], executions[edge.To]);
            CheckWidths(edge, from.Binding, to.Binding);
            var connector = EdgeConnectors.Create(edge, to.Input);
            connector.Prepare(from.Header, to.Header, to.Binding.Address);
            from.AddOutgoing(connector);
            to.AddIncoming(connector);
            connectors.Add(connector);
        }
        return connectors;
    }

    /// <summary>Hidden states must have the width the consuming stage's model takes; both replicas report theirs.</summary>
    private static void CheckWidths(GraphEdge edge, StageBinding from, StageBinding to)
    {
        if (edge.Carries("hidden_states") && from.Info is { HiddenSize: > 0 } sender && to.Info is { HiddenSize: > 0 } receiver
            && sender.HiddenSize != receiver.HiddenSize)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition,
                $"Stage {edge.To.Name} expects hidden states of width {receiver.HiddenSize}, but stage {edge.From.Name} emits {sender.HiddenSize}."));
        }
    }

    /// <summary>
    /// Keeps every failure of the request's stage calls and cancels the others at the first. The request's error is
    /// the first cause: not a cancellation, nor a write to a stage whose call had already ended (its own error says why).
    /// </summary>
    private sealed class FailureCollector(CancellationTokenSource cancel)
    {
        private readonly List<Exception> _failures = [];

        public async Task Watch(Task run)
        {
            try
            {
                await run.ConfigureAwait(false);
            }
            catch (Exception error)
            {
                lock (_failures)
                {
                    _failures.Add(error);
                }
                await cancel.CancelAsync().ConfigureAwait(false);
            }
        }

        public void ThrowIfAny()
        {
            if (_failures.Count == 0)
            {
                return;
            }
            var cause = _failures.FirstOrDefault(error => !IsConsequence(error)) ?? _failures[0];
            ExceptionDispatchInfo.Throw(cause is EdgeWriteException { InnerException: { } inner } ? inner : cause);
        }

        private static bool IsConsequence(Exception error) =>
            error is OperationCanceledException or EdgeWriteException or RpcException { StatusCode: StatusCode.Cancelled };
    }
}
