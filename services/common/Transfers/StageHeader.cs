using Grpc.Core;
using Omni.Common.Hosting;
using Omni.Common.Validation;
using Omni.Contracts.V1;

namespace Omni.Common.Transfers;

/// <summary>The parts of the stage contract every stage shares: who it is, and the header that opens each call.</summary>
public static class StageHeader
{
    /// <summary>Reads the first message of a Process call, which must be the header.</summary>
    public static async Task<StageRequest> ReadAsync(IAsyncStreamReader<StageInput> requestStream, CancellationToken cancellationToken)
    {
        if (!await requestStream.MoveNext(cancellationToken).ConfigureAwait(false) || requestStream.Current.KindCase != StageInput.KindOneofCase.Header)
        {
            throw RequestValidator.Invalid("header", "must be the first message of the stream");
        }
        return requestStream.Current.Header;
    }

    public static StageInfo Info(StageIdentityOptions identity, string kind, string modelName, int hiddenSize, string device) => new()
    {
        Kind = kind,
        StageId = (uint)identity.StageId,
        ReplicaId = (uint)identity.ReplicaId,
        ModelName = modelName,
        HiddenSize = (uint)hiddenSize,
        Device = device,
    };
}
