using Grpc.Core;
using Omni.Common.Hosting;
using Omni.Common.Payloads;
using Omni.Common.Transfers;
using Omni.Contracts.V1;

namespace Omni.Common.Stages;

/// <summary>One Process call as a stage sees it: the header, its inputs, and the ways to hand outputs back or on.</summary>
public sealed class StageCall(StageRequest header, IAsyncStreamReader<StageInput> requestStream, IServerStreamWriter<StageOutput> responseStream,
    ServerCallContext context, StageHost host)
{
    public StageRequest Header => header;

    public CancellationToken CancellationToken => context.CancellationToken;

    public DateTime? Deadline => context.Deadline == DateTime.MaxValue ? null : context.Deadline;

    /// <summary>Whether the header asks for the named output, on the response stream or pushed to a downstream replica.</summary>
    public bool Wants(string output) => header.Outputs.Contains(output) || header.ForwardTo.Any(target => target.Tensors.Contains(output));

    /// <summary>Whether the header names the input tensor.</summary>
    public bool Consumes(string input) => header.Inputs.Contains(input);

    public Task<ReceivedInputs> ReceiveInputsAsync(long maxBytesPerTensor) =>
        StageInputReader.ReceiveAsync(header, requestStream, host.Transfers, maxBytesPerTensor, host.Options.InputIdleTimeout, context.CancellationToken);

    /// <summary>Hands the output tensors on: relayed on the response stream and/or pushed to the header's direct targets.</summary>
    public Task<SentTensors> SendTensorsAsync(IReadOnlyList<TensorChunk> chunks) =>
        StageOutputSender.SendAsync(header, chunks, responseStream, host.Sender, Deadline, context.CancellationToken);

    /// <summary>The call's one streamed input tensor, rows as they arrive; each chunk's decode timing goes to <paramref name="timings"/>.</summary>
    public IAsyncEnumerable<StreamedRows> StreamInputAsync(long maxBytes, List<ChunkTiming> timings) =>
        StageInputReader.StreamAsync(header, requestStream, host.Transfers, maxBytes, host.Options.InputIdleTimeout, timings, context.CancellationToken);

    /// <summary>Hands output chunks on as they are produced (a streamed tensor), relayed and/or pushed as the header asks.</summary>
    public Task<SentTensors> StreamTensorsAsync(IAsyncEnumerable<TensorChunk> chunks) =>
        StageOutputSender.SendAsync(header, chunks, responseStream, host.Sender, Deadline, context.CancellationToken);

    public Task WriteAsync(StageOutput output) => responseStream.WriteAsync(output, context.CancellationToken);

    public Task WriteFinalAsync(StageFinal final) => responseStream.WriteLastAsync(new StageOutput { Final = final }, context.CancellationToken);
}
