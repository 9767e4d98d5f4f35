using Grpc.Core;
using Omni.Contracts.V1;
using Omni.Orchestrator.Pipeline;

namespace Omni.Orchestrator.Grpc;

/// <summary>The public API's gRPC door: the call's stream, deadline and cancellation, handed to <see cref="GenerateHandler"/>.</summary>
public sealed class OmniService(GenerateHandler handler) : Contracts.V1.Omni.OmniBase
{
    public override Task Generate(GenerateRequest request, IServerStreamWriter<GenerateResponse> responseStream, ServerCallContext context) =>
        handler.HandleAsync(request, responseStream, context.Deadline == DateTime.MaxValue ? null : context.Deadline, context.CancellationToken);
}
