using Grpc.Core;
using Omni.Common.Hosting;
using Omni.Common.Validation;
using Omni.Contracts.V1;

namespace Omni.Common.Transfers;

/// <summary>The header that opens each stage call.</summary>
public static class StageHeader
{
    /// <summary>Reads the first message of a Process call, which must be the header, and names the call's request for its logs.</summary>
    public static async Task<StageRequest> ReadAsync(IAsyncStreamReader<StageInput> requestStream, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(requestStream);
        ArgumentNullException.ThrowIfNull(context);
        if (!await requestStream.MoveNext(context.CancellationToken).ConfigureAwait(false) || requestStream.Current.KindCase != StageInput.KindOneofCase.Header)
        {
            throw RequestValidator.Invalid("header", "must be the first message of the stream");
        }
        var header = requestStream.Current.Header;
        ExceptionStatusInterceptor.SetRequestId(context, header.RequestId);
        return header;
    }
}
