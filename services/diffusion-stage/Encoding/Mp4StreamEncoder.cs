using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;
using FFMpegCore;

namespace Omni.DiffusionStage.Encoding;

/// <summary>
/// H.264 in fragmented MP4 through ffmpeg (the one on PATH): RGB8 frames go to ffmpeg's standard input as they are
/// decoded, and what the muxer writes to its standard output comes back, piece by piece, while later frames are still
/// being made.
/// </summary>
/// <remarks>
/// The output is fragmented (<c>empty_moov</c>, one <c>moof</c>+<c>mdat</c> per frame) because a plain MP4 needs its
/// index, written last, before a player can start, so nothing could be streamed before the whole clip was encoded.
/// Encoding is reproducible: one x264 thread (x264's output depends on its thread count, which would otherwise follow
/// the machine's cores), zero-latency tuning (no lookahead or B-frames, so each frame's packet leaves at once) and
/// bit-exact muxing (no version strings). The output is read to its end at the consumer's pace, whenever ffmpeg exits:
/// the pipe keeps what ffmpeg wrote last (FFMpegCore's output pipe was disposed when ffmpeg exited, dropping the end of
/// a clip that a slow client had not read yet).
/// </remarks>
public sealed class Mp4StreamEncoder
{
    public const string MimeType = "video/mp4";

    private const int ErrorLines = 5;

    private readonly Channel<byte[]> _frames = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly int _frameBytes;
    private readonly Task _run;

    /// <param name="onOutput">Called with each piece of the MP4, in order, from one task at a time.</param>
    public Mp4StreamEncoder(int width, int height, int fps, Func<ReadOnlyMemory<byte>, CancellationToken, Task> onOutput, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(onOutput);
        _frameBytes = width * height * 3;
        _run = RunAsync(Arguments(width, height, fps), onOutput, cancellationToken);
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

    /// <summary>Ends the input and waits until every piece ffmpeg wrote has been handed on and ffmpeg has exited.</summary>
    public async Task CompleteAsync()
    {
        _frames.Writer.TryComplete();
        await _run.ConfigureAwait(false);
    }

    /// <summary>Stops feeding ffmpeg after a failure upstream: ffmpeg is stopped and the run ends with that failure.</summary>
    public void Abandon(Exception error) => _frames.Writer.TryComplete(error);

    // Raw frames say nothing ffmpeg needs to probe: without -probesize/-analyzeduration it would read up to 5 s of input
    // (all of a short clip) before encoding the first frame.
    private static string Arguments(int width, int height, int fps) => string.Join(' ',
        "-hide_banner -nostats -loglevel error",
        "-probesize 32 -analyzeduration 0 -f rawvideo -pix_fmt rgb24",
        string.Create(CultureInfo.InvariantCulture, $"-video_size {width}x{height} -framerate {fps} -i pipe:0"),
        "-c:v libx264 -f mp4 -preset veryfast -tune zerolatency -pix_fmt yuv420p -threads 1",
        string.Create(CultureInfo.InvariantCulture, $"-g {fps}"),
        "-movflags empty_moov+default_base_moof+frag_every_frame -flush_packets 1",
        "-fflags +bitexact -flags:v +bitexact -map_metadata -1 pipe:1");

    private async Task RunAsync(string arguments, Func<ReadOnlyMemory<byte>, CancellationToken, Task> onOutput, CancellationToken cancellationToken)
    {
        await Task.Yield();
        using var process = new Process
        {
            StartInfo = new ProcessStartInfo(GlobalFFOptions.GetFFMpegBinaryPath(), arguments)
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            },
        };
        process.Start();
        var errors = process.StandardError.ReadToEndAsync(CancellationToken.None);
        await using var stop = cancellationToken.Register(() => Kill(process));
        var forwarding = ForwardAsync(process.StandardOutput.BaseStream, onOutput, cancellationToken);
        var feeding = FeedAsync(process.StandardInput.BaseStream, cancellationToken);
        try
        {
            if (await Task.WhenAny(forwarding, feeding).ConfigureAwait(false) is { IsCompletedSuccessfully: false })
            {
                // Either side failing ends the other: ffmpeg stops, so its output ends, and no more frames are fed.
                Kill(process);
                _frames.Writer.TryComplete();
            }
            await Task.WhenAll(forwarding, feeding).ConfigureAwait(false);
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            Kill(process);
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            throw;
        }
        if (process.ExitCode != 0)
        {
            var lines = (await errors.ConfigureAwait(false)).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            throw new InvalidOperationException($"ffmpeg exited with code {process.ExitCode}: {string.Join(" | ", lines.TakeLast(ErrorLines))}");
        }
    }

    private async Task FeedAsync(Stream input, CancellationToken cancellationToken)
    {
        await using (input.ConfigureAwait(false))
        {
            await foreach (var frame in _frames.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                await input.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static async Task ForwardAsync(Stream output, Func<ReadOnlyMemory<byte>, CancellationToken, Task> onOutput, CancellationToken cancellationToken)
    {
        var buffer = new byte[1 << 16];
        int read;
        while ((read = await output.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            await onOutput(buffer.AsMemory(0, read).ToArray(), cancellationToken).ConfigureAwait(false);
        }
    }

    private static void Kill(Process process)
    {
        try
        {
            process.Kill();
        }
        catch (InvalidOperationException)
        {
            // It has exited already.
        }
    }
}
