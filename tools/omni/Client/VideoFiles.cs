using System.Globalization;
using Omni.Contracts.V1;

namespace Omni.Cli.Client;

/// <summary>The video file a client writes: the format to ask for by its extension, and the size given as WIDTHxHEIGHT.</summary>
public static class VideoFiles
{
    /// <summary>Fragmented H.264 MP4 for .mp4, raw RGB8 frames one after another for .rgb.</summary>
    public static VideoFormat FormatFor(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".mp4" => VideoFormat.Mp4,
        ".rgb" => VideoFormat.Frames,
        var other => throw new ArgumentException(
            $"--video writes .mp4 (H.264 MP4) or .rgb (raw RGB8 frames) files, not '{(other.Length > 0 ? other : path)}'."),
    };

    /// <summary>"WIDTHxHEIGHT" (128x96) or one number for a square (128).</summary>
    public static (uint Width, uint Height) ParseSize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Trim().Split('x', 'X');
        if (parts.Length is 1 or 2 && parts.All(part => uint.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var side) && side > 0))
        {
            var width = uint.Parse(parts[0], CultureInfo.InvariantCulture);
            return (width, parts.Length == 2 ? uint.Parse(parts[1], CultureInfo.InvariantCulture) : width);
        }
        throw new ArgumentException($"--video-size takes WIDTHxHEIGHT (such as 128x128) or one side, not '{text}'.");
    }
}

/// <summary>
/// Writes a request's video chunks to a file as they arrive (created with the first one): MP4 fragments or raw frames,
/// appended in stream order and flushed, so the file grows while the clip is encoded.
/// </summary>
public sealed class VideoFileWriter(string path) : IDisposable
{
    private FileStream? _file;

    /// <summary>The file's full path.</summary>
    public string Path { get; } = System.IO.Path.GetFullPath(path);

    public int Chunks { get; private set; }

    public long Bytes { get; private set; }

    /// <summary>Frames the chunks so far hold (raw frames) or were encoded from (MP4).</summary>
    public uint Frames { get; private set; }

    public uint Width { get; private set; }

    public uint Height { get; private set; }

    public uint Fps { get; private set; }

    public void Write(VideoChunk chunk)
    {
        ArgumentNullException.ThrowIfNull(chunk);
        if (_file is null)
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
            // Readable while it grows (a player may follow it).
            _file = new FileStream(Path, FileMode.Create, FileAccess.Write, FileShare.Read);
        }
        chunk.Data.WriteTo(_file);
        _file.Flush();
        Chunks++;
        Bytes += chunk.Data.Length;
        Frames = chunk.Format == VideoFormat.Frames ? Math.Max(Frames, chunk.Frame + 1) : Math.Max(Frames, chunk.Frame);
        (Width, Height, Fps) = (chunk.Width, chunk.Height, chunk.Fps);
    }

    /// <summary>What a request that failed midway left in the file (the clip's first part), or null where it wrote nothing.</summary>
    public string? Incomplete() =>
        Chunks > 0 ? $"{Path} is incomplete: {Chunks} chunks, {Bytes} bytes came before the request failed." : null;

    /// <summary>
    /// One line: the file, frames, size, rate and length (the final's where it has them), chunks, bytes, and time to
    /// first packet as this client saw it.
    /// </summary>
    public string Summary(GenerateResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var frames = result.VideoFrames > 0 ? result.VideoFrames : Frames;
        var seconds = result.VideoDurationSeconds > 0 ? result.VideoDurationSeconds : Fps > 0 ? (double)frames / Fps : 0;
        return string.Create(CultureInfo.InvariantCulture,
            $"{Path} ({frames} frames {Width}x{Height} at {Fps} fps, {seconds:F2} s, {Chunks} chunks, {Bytes} bytes) TTFP={result.FirstVideo?.TotalMilliseconds:F0}ms");
    }

    public void Dispose() => _file?.Dispose();
}
