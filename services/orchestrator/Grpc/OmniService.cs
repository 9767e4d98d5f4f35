using System.Diagnostics;
using Grpc.Core;
using Omni.Common.Hosting;
using Omni.Contracts.V1;
using Omni.Orchestrator.Admission;
using Omni.Orchestrator.Pipeline;

namespace Omni.Orchestrator.Grpc;

/// <summary>The public API: validates, admits, runs the pipeline and maps every failure to a clear gRPC status.</summary>
public sealed class OmniService(AdmissionController admission, GraphRunner runner, IPipelineObserver observer, ILogger<OmniService> logger)
    : Contracts.V1.Omni.OmniBase
{
    public override async Task Generate(GenerateRequest request, IServerStreamWriter<GenerateResponse> responseStream, ServerCallContext context)
    {
        var arrival = Stopwatch.GetTimestamp();
        ValidatedRequest validated;
        try
        {
            validated = ValidatedRequest.From(request);
        }
        catch (RpcException)
        {
            observer.OnFailed(FailureReason.InvalidArgument);
            throw;
        }

        var cancellationToken = context.CancellationToken;
        DateTime? deadline = context.Deadline == DateTime.MaxValue ? null : context.Deadline;
        IDisposable lease;
        observer.OnQueued();
        try
        {
            lease = await admission.EnterAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (AdmissionRejectedException rejected)
        {
            observer.OnDequeued(null);
            observer.OnFailed(FailureReason.Rejected);
            throw new RpcException(new Status(StatusCode.ResourceExhausted, rejected.Message));
        }
        catch (OperationCanceledException)
        {
            observer.OnDequeued(null);
            throw Cancelled(context);
        }

        using (lease)
        {
            var queueTime = Stopwatch.GetElapsedTime(arrival);
            observer.OnDequeued(queueTime);
            try
            {
                var final = await runner.RunAsync(validated, arrival, queueTime, responseStream, deadline, cancellationToken).ConfigureAwait(false);
                await responseStream.WriteLastAsync(new GenerateResponse { RequestId = validated.RequestId, Final = final }, cancellationToken)
                    .ConfigureAwait(false);
                observer.OnFinished(Label(final.FinishReason), Stopwatch.GetElapsedTime(arrival));
            }
            catch (Exception exception)
            {
                var (status, reason) = Classify(exception, context);
                observer.OnFailed(reason);
                observer.OnFinished("abort", null);
                if (reason is FailureReason.StageError or FailureReason.StageUnavailable)
                {
                    logger.LogWarning(exception, "Request {RequestId} failed: {Status}", validated.RequestId, status);
                }
                throw new RpcException(status);
            }
        }
    }

    private static (Status Status, FailureReason Reason) Classify(Exception exception, ServerCallContext context)
    {
        if (context.CancellationToken.IsCancellationRequested)
        {
            return DeadlinePassed(context)
                ? (new Status(StatusCode.DeadlineExceeded, "The request deadline expired."), FailureReason.DeadlineExceeded)
                : (new Status(StatusCode.Cancelled, "The client cancelled the request."), FailureReason.ClientCancelled);
        }
        return exception switch
        {
            RpcException { StatusCode: StatusCode.InvalidArgument } rpc => (rpc.Status, FailureReason.InvalidArgument),
            RpcException { StatusCode: StatusCode.ResourceExhausted } rpc => (rpc.Status, FailureReason.Rejected),
            RpcException { StatusCode: StatusCode.DeadlineExceeded } => (new Status(StatusCode.DeadlineExceeded, "The request deadline expired."),
                FailureReason.DeadlineExceeded),
            RpcException { StatusCode: StatusCode.Cancelled } => (new Status(StatusCode.Cancelled, "A stage cancelled the request."),
                FailureReason.StageError),
            RpcException { StatusCode: StatusCode.Unavailable } rpc => (new Status(StatusCode.Unavailable, $"A stage is unavailable: {rpc.Status.Detail}"),
                FailureReason.StageUnavailable),
            RpcException rpc => (new Status(rpc.StatusCode, rpc.Status.Detail), FailureReason.StageError),
            _ => (new Status(StatusCode.Internal, $"The pipeline failed: {exception.Message}"), FailureReason.StageError),
        };
    }

    /// <summary>
    /// Whether the call ended because its deadline passed. A client whose deadline expires cancels the call itself, and
    /// its cancellation can arrive a little before this clock reaches the deadline: within this margin, it counts as
    /// the deadline.
    /// </summary>
    private static bool DeadlinePassed(ServerCallContext context) =>
        context.Deadline != DateTime.MaxValue && context.Deadline <= DateTime.UtcNow + TimeSpan.FromMilliseconds(250);

    private static RpcException Cancelled(ServerCallContext context) =>
        DeadlinePassed(context)
            ? new RpcException(new Status(StatusCode.DeadlineExceeded, "The request deadline expired."))
            : new RpcException(new Status(StatusCode.Cancelled, "The client cancelled the request."));

    private static string Label(FinishReason reason) => reason switch
    {
        FinishReason.Stop => "stop",
        FinishReason.Length => "length",
        _ => "abort",
    };
}
