using Grpc.Core;

namespace Omni.Common.Hosting;

public static class StreamWriterExtensions
{
    private static readonly WriteOptions Buffered = new(WriteFlags.BufferHint);

    /// <summary>
    /// Writes a call's last message without flushing it on its own: it leaves with the trailers, which follow at once,
    /// so the peer wakes once for both instead of twice. Nothing may be written after it.
    /// </summary>
    public static Task WriteLastAsync<T>(this IServerStreamWriter<T> stream, T message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        stream.WriteOptions = Buffered;
        return stream.WriteAsync(message, cancellationToken);
    }
}
