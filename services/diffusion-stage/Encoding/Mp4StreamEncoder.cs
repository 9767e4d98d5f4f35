using System.Globalization;
using System.Threading.Channels;
using FFMpegCore;
using FFMpegCore.Pipes;

namespace Omni.DiffusionStage.Encoding;

/// <summary>
/// H.264 in fragmented MP4 through ffmpeg (FFMpegCore, with the ffmpeg on PATH): RGB8 frames go to ffmpeg's input as they
/// are decoded, and what the muxer writes comes back, piece by piece, while later frames are still being made.
/// </summary>
/// <remarks>
/// The output is fragmented (<c>empty_moov</c>, one <c>moof</c>+<c>mdat</c> per frame) because a plain MP4 needs its
/// index, written last, before a player can start, so nothing could be streamed before the whole clip was encoded.
/// Encoding is reproducible: one x264 thread (x264's output depends on its thread count, which would otherwise follow
/// the machine's cores), zero-latency tuning (no lookahead or B-frames, so each frame's packet leaves at once) and
/// bit-exact muxing (no version strings).
/// </remarks>
public sealed class Mp4StreamEncoder
{
    public const string MimeType = "video/mp4";

    private readonly Channel<byte[]> _frames = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly int _frameBytes;
    private readonly Task _run;

    /// <param name="onOutput">Called with each piece of the MP4, in order, from one task at a time.</param>
    public Mp4StreamEncoder(int width, int height, int fps, Func<ReadOnlyMemory<byte>, CancellationToken, Task> onOutput, CancellationToken cancellationToken)
    {
        _frameBytes = width * height * 3;
        var source = new RawRgbSource(_frames.Reader, width, height, fps);
        var sink = new ForwardingSink(onOutput);
        _run = FFMpegArguments
            .FromPipeInput(source)
            .OutputToPipe(sink, options => options
                .WithVideoCodec("libx264")
                .ForceFormat("mp4")
                .WithCustomArgument(string.Join(' ',
                    "-preset veryfast -tune zerolatency -pix_fmt yuv420p -threads 1",
                    $"-g {fps.ToString(CultureInfo.InvariantCulture)}",
                    "-movflags empty_moov+default_base_moof+frag_every_frame -flush_packets 1",
                    "-fflags +bitexact -flags:v +bitexact -map_metadata -1")))
            .CancellableThrough(cancellationToken, TimeSpan.Zero)
            .ProcessAsynchronously(throwOnError: true);
    }

    /// <summary>Queues one RGB8 frame (width * height * 3 bytes) for the encoder; never blocks.</summary>
    public void Add(byte[] rgb)
    {
        ArgumentNullException.ThrowIfNull(rgb);
        if (rgb.Length != _frameBytes)
        {
            throw new ArgumentException($"A frame has {rgb.Length} bytes, expected {_frameBytes}.", nameof(rgb));
        }
        _frames.Writer.TryWrite(rgb);
    }

    /// <summary>Ends the input and waits until ffmpeg has written the last fragment and exited.</summary>
    public async Task CompleteAsync()
    {
        _frames.Writer.TryComplete();
        await _run.ConfigureAwait(false);
    }

    /// <summary>Stops feeding ffmpeg after a failure upstream; the run then ends (or is killed by the token).</summary>
    public void Abandon(Exception error) => _frames.Writer.TryComplete(error);

    private sealed class RawRgbSource(ChannelReader<byte[]> frames, int width, int height, int fps) : IPipeSource
    {
        // Raw frames say nothing ffmpeg needs to probe: without -probesize/-analyzeduration it would read up to 5 s of
        // input (all of a short clip) before encoding the first frame.
        public string GetStreamArguments() => string.Create(CultureInfo.InvariantCulture,
            $"-probesize 32 -analyzeduration 0 -f rawvideo -pix_fmt rgb24 -video_size {width}x{height} -framerate {fps}");

        public async Task WriteAsync(Stream outputStream, CancellationToken cancellationToken)
        {
            await foreach (var frame in frames.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                await outputStream.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private sealed class ForwardingSink(Func<ReadOnlyMemory<byte>, CancellationToken, Task> onOutput) : IPipeSink
    {
        // The format is the output option above (-f mp4).
        public string GetStreamArguments() => "";

        public async Task ReadAsync(Stream inputStream, CancellationToken cancellationToken)
        {
            var buffer = new byte[1 << 16];
            int read;
            while ((read = await inputStream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                await onOutput(buffer.AsMemory(0, read).ToArray(), cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
