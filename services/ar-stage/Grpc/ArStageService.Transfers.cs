using Grpc.Core;
using Omni.ArStage.Engine;
using Omni.Common.Payloads;
using Omni.Common.Transfers;
using Omni.Contracts.V1;

namespace Omni.ArStage.Grpc;

/// <summary>Load reports and the hand-off of hidden states to the next stage (relay or direct).</summary>
public sealed partial class ArStageService
{
    public override Task WatchLoad(WatchLoadRequest request, IServerStreamWriter<LoadReport> responseStream, ServerCallContext context) =>
        StageOutputSender.WatchLoadAsync(Service<LoadReporter>(context), responseStream, context.CancellationToken);

    /// <summary>Sends the hidden states (and the negative prompt's) on the response stream, or straight to the bound downstream replica.</summary>
    private static async Task<SentPayload> SendHiddenStatesAsync(StageRequest header, ServerCallContext context,
        IServerStreamWriter<StageOutput> responseStream, IEnumerable<(string Name, HiddenStates? States)> tensors, CancellationToken cancellationToken)
    {
        var chunks = tensors
            .Where(tensor => tensor.States is not null)
            .SelectMany(tensor => TensorChunker.ChunkFloat32(tensor.Name, tensor.States!.Data, [tensor.States.Tokens, tensor.States.Width]));
        DateTime? deadline = context.Deadline == DateTime.MaxValue ? null : context.Deadline;
        return await StageOutputSender.SendAsync(header, chunks, responseStream, Service<DirectTransferSender>(context), deadline, cancellationToken)
            .ConfigureAwait(false);
    }

    private static T Service<T>(ServerCallContext context)
        where T : notnull => context.GetHttpContext().RequestServices.GetRequiredService<T>();
}
