using Grpc.Core;
using Omni.Common.Payloads;
using Omni.Common.Validation;
using Omni.Contracts.V1;

namespace Omni.Common.Transfers;

/// <summary>
/// A downstream stage's input: the named tensors that follow its header, on the request stream (relay) or pushed by
/// the upstream replica (direct, when the header names a transfer). Each chunk's decode is timed for the final.
/// </summary>
public static class StageInputReader
{
    public static async Task<(IReadOnlyDictionary<string, ReceivedTensor> Tensors, IReadOnlyList<ChunkTiming> Chunks)> ReceiveAsync(
        StageRequest header, IAsyncStreamReader<StageInput> requestStream, TransferRegistry registry, IReadOnlyList<string> names,
        long maxBytesPerTensor, CancellationToken cancellationToken)
    {
        var receiver = new TensorSetReceiver(maxBytesPerTensor);
        try
        {
            if (!string.IsNullOrEmpty(header.ReceiveTransferId))
            {
                await foreach (var _ in DirectTransferEndpoint.ConsumeAsync(registry, header.ReceiveTransferId, receiver.Add, cancellationToken)
                    .ConfigureAwait(false))
                {
                }
            }
            else
            {
                while (await requestStream.MoveNext(cancellationToken).ConfigureAwait(false))
                {
                    var input = requestStream.Current;
                    if (input.KindCase != StageInput.KindOneofCase.Chunk)
                    {
                        throw RequestValidator.Invalid("chunk", $"expected tensor chunks after the header, got {input.KindCase}");
                    }
                    receiver.Add(input.Chunk);
                }
            }
        }
        catch (InvalidDataException invalid)
        {
            throw RequestValidator.Invalid("chunk", invalid.Message);
        }
        var tensors = new Dictionary<string, ReceivedTensor>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            tensors[name] = receiver.Get(name) ?? throw RequestValidator.Invalid("chunk", $"the input ended before tensor '{name}' was complete");
        }
        return (tensors, receiver.Timings);
    }
}
