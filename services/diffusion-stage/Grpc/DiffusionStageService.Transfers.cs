using Grpc.Core;
using Omni.Common.Payloads;
using Omni.Common.Transfers;
using Omni.Contracts.V1;

namespace Omni.DiffusionStage.Grpc;

/// <summary>Load reports, and the input from the upstream stage: relayed on the request stream or pushed directly.</summary>
public sealed partial class DiffusionStageService
{
    public override Task WatchLoad(WatchLoadRequest request, IServerStreamWriter<LoadReport> responseStream, ServerCallContext context) =>
        StageOutputSender.WatchLoadAsync(Service<LoadReporter>(context), responseStream, context.CancellationToken);

    public override Task PushTransfer(IAsyncStreamReader<TransferMessage> requestStream, IServerStreamWriter<TransferAck> responseStream,
        ServerCallContext context) =>
        DirectTransferEndpoint.HandlePushAsync(Service<TransferRegistry>(context), requestStream, responseStream, context);

    /// <summary>Reads the named input tensors and reports how each chunk's decode went.</summary>
    private async Task<(IReadOnlyDictionary<string, ReceivedTensor> Tensors, IReadOnlyList<ChunkTiming> Chunks)> ReceiveInputAsync(
        StageRequest header, IAsyncStreamReader<StageInput> requestStream, IReadOnlyList<string> names, ServerCallContext context) =>
        await StageInputReader.ReceiveAsync(header, requestStream, Service<TransferRegistry>(context), names,
            options.Value.MaxConditioningBytes, context.CancellationToken).ConfigureAwait(false);

    private static T Service<T>(ServerCallContext context)
        where T : notnull => context.GetHttpContext().RequestServices.GetRequiredService<T>();
}
