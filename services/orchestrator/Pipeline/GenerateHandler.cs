using System.Diagnostics;
using Grpc.Core;
using Microsoft.Extensions.Options;
using Omni.Common.Hosting;
using Omni.Common.Tracing;
using Omni.Contracts.V1;
using Omni.Orchestrator.Admission;
using Omni.Orchestrator.Configuration;
using Omni.Orchestrator.Graph;

namespace Omni.Orchestrator.Pipeline;

/// <summary>
/// What every door of the public API does with a request: validates it, admits it, runs the pipeline, writes the final
/// message, records the pipeline metrics, and turns every failure into one clear gRPC status (thrown as an
/// <see cref="RpcException"/>). The gRPC door hands it its call; the HTTP door converts its JSON into the same
/// <see cref="GenerateRequest"/> first and its responses back afterwards, so no behaviour belongs to one door.
/// </summary>
public sealed class GenerateHandler(AdmissionController admission, GraphRunner runner, IPipelineObserver observer, IOptions<PipelineOptions> pipeline,
    ILogger<GenerateHandler> logger)
{
    /// <param name="request">The request as the client sent it (not yet validated).</param>
    /// <param name="output">Receives the streamed payloads, then the final message.</param>
    /// <param name="deadline">The client's deadline (UTC), if it set one.</param>
    /// <param name="cancellationToken">Cancelled when the client goes away or its deadline passes.</param>
    public async Task HandleAsync(GenerateRequest request, IServerStreamWriter<GenerateResponse> output, DateTime? deadline,
        CancellationToken cancellationToken)
    {
        var arrival = Stopwatch.GetTimestamp();
        using var span = OmniTrace.Source.StartActivity("omni.request");
        // Planned before admission: a request for an output this pipeline does not produce is refused as invalid at once,
        // never queued, rejected as full or timed out first.
        var (validated, plan) = Validate(request, span);
        span?.SetTag(OmniTrace.ModelName, pipeline.Value.ModelName)
            .SetTag(OmniTrace.RequestId, validated.RequestId)
            .SetTag(OmniTrace.Outputs, string.Join(",", validated.ClientOutputs));

        IDisposable lease;
        observer.OnQueued();
        var queueSpan = OmniTrace.Source.StartActivity("omni.queue");
        try
        {
            lease = await admission.EnterAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (AdmissionRejectedException rejected)
        {
            observer.OnDequeued(null);
            observer.OnFailed(FailureReason.Rejected);
            throw Failed(span, new Status(StatusCode.ResourceExhausted, rejected.Message));
        }
        catch (OperationCanceledException)
        {
            observer.OnDequeued(null);
            var status = Cancelled(deadline);
            observer.OnFailed(ReasonOf(status));
            throw Failed(span, status);
        }
        finally
        {
            queueSpan?.Dispose();
        }

        using (lease)
        {
            var queueTime = Stopwatch.GetElapsedTime(arrival);
            observer.OnDequeued(queueTime);
            try
            {
                var final = await runner.RunAsync(validated, plan, arrival, queueTime, output, deadline, cancellationToken).ConfigureAwait(false);
                final.TraceId = OmniTrace.CurrentTraceId();
                await output.WriteLastAsync(new GenerateResponse { RequestId = validated.RequestId, Final = final }, cancellationToken)
                    .ConfigureAwait(false);
                observer.OnFinished(Label(final.FinishReason), Stopwatch.GetElapsedTime(arrival));
            }
            catch (Exception exception)
            {
                var (status, reason) = Classify(exception, deadline, cancellationToken);
                observer.OnFailed(reason);
                observer.OnFinished("abort", null);
                if (reason is FailureReason.StageError or FailureReason.StageUnavailable)
                {
                    logger.LogWarning(exception, "Request {RequestId} failed: {Status}", validated.RequestId, status);
                }
                throw Failed(span, status);
            }
        }
    }

    private static RpcException Failed(Activity? span, Status status)
    {
        span?.SetStatus(ActivityStatusCode.Error, $"{status.StatusCode}: {status.Detail}");
        return new RpcException(status);
    }

    /// <summary>Counts a request a door refused before it could be handled (undecodable: invalid_argument), as this handler would.</summary>
    public void OnRefusedAtTheDoor(FailureReason reason) => observer.OnFailed(reason);

    private (ValidatedRequest Request, RequestPlan Plan) Validate(GenerateRequest request, Activity? span)
    {
        try
        {
            var validated = ValidatedRequest.From(request);
            return (validated, runner.Plan(validated));
        }
        catch (RpcException invalid)
        {
            observer.OnFailed(FailureReason.InvalidArgument);
            span?.SetStatus(ActivityStatusCode.Error, $"{invalid.StatusCode}: {invalid.Status.Detail}");
            throw;
        }
    }

    private static (Status Status, FailureReason Reason) Classify(Exception exception, DateTime? deadline, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            var status = Cancelled(deadline);
            return (status, ReasonOf(status));
        }
        return exception switch
        {
            RpcException { StatusCode: StatusCode.InvalidArgument } rpc => (rpc.Status, FailureReason.InvalidArgument),
            RpcException { StatusCode: StatusCode.ResourceExhausted } rpc => (rpc.Status, FailureReason.Rejected),
            RpcException { StatusCode: StatusCode.DeadlineExceeded } when Cancelled(deadline).StatusCode == StatusCode.DeadlineExceeded =>
                (new Status(StatusCode.DeadlineExceeded, "The request deadline expired."), FailureReason.DeadlineExceeded),
            // A stage's own time limit (its input made no progress, say), not the client's deadline: its words, and a stage error.
            RpcException { StatusCode: StatusCode.DeadlineExceeded } rpc => (new Status(StatusCode.DeadlineExceeded, $"A stage timed out: {rpc.Status.Detail}"),
                FailureReason.StageError),
            RpcException { StatusCode: StatusCode.Cancelled } => (new Status(StatusCode.Cancelled, "A stage cancelled the request."),
                FailureReason.StageError),
            RpcException { StatusCode: StatusCode.Unavailable } rpc => (new Status(StatusCode.Unavailable, $"A stage is unavailable: {rpc.Status.Detail}"),
                FailureReason.StageUnavailable),
            RpcException rpc => (new Status(rpc.StatusCode, rpc.Status.Detail), FailureReason.StageError),
            _ => (new Status(StatusCode.Internal, $"The pipeline failed: {exception.Message}"), FailureReason.StageError),
        };
    }

    /// <summary>
    /// The status of a request its client ended. A client whose deadline expires cancels the call itself, and its
    /// cancellation can arrive a little before this clock reaches the deadline: within this margin, it counts as the
    /// deadline.
    /// </summary>
    private static Status Cancelled(DateTime? deadline) =>
        deadline is { } due && due <= DateTime.UtcNow + TimeSpan.FromMilliseconds(250)
            ? new Status(StatusCode.DeadlineExceeded, "The request deadline expired.")
            : new Status(StatusCode.Cancelled, "The client cancelled the request.");

    private static FailureReason ReasonOf(Status cancelled) =>
        cancelled.StatusCode == StatusCode.DeadlineExceeded ? FailureReason.DeadlineExceeded : FailureReason.ClientCancelled;

    private static string Label(FinishReason reason) => reason switch
    {
        FinishReason.Stop => "stop",
        FinishReason.Length => "length",
        _ => "abort",
    };
}
