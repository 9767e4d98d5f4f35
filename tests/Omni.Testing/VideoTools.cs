using System.Globalization;

namespace Omni.Testing;

/// <summary>What ffprobe reads from a video file's first video stream (frames counted by decoding).</summary>
public sealed record ProbedVideo(string Codec, int Width, int Height, int Frames, string FrameRate, string PixelFormat);

/// <summary>Real video tools the tests read our MP4 back with: Debian's ffmpeg and ffprobe (installed by scripts/test.sh).</summary>
public static class VideoTools
{
    /// <summary><c>ffprobe -count_frames</c> of the first video stream.</summary>
    public static async Task<ProbedVideo> ProbeAsync(string path)
    {
        var (exit, output) = await AudioTools.RunAsync("ffprobe", "-v", "error", "-select_streams", "v:0", "-count_frames",
            "-show_entries", "stream=codec_name,width,height,nb_read_frames,r_frame_rate,pix_fmt", "-of", "default=noprint_wrappers=1", path);
        if (exit != 0)
        {
            throw new InvalidOperationException($"ffprobe {path} exited {exit}: {output}");
        }
        var fields = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.Split('=', 2))
            .Where(pair => pair.Length == 2)
            .ToDictionary(pair => pair[0], pair => pair[1]);
        return new ProbedVideo(fields["codec_name"], Parse(fields["width"]), Parse(fields["height"]), Parse(fields["nb_read_frames"]),
            fields["r_frame_rate"], fields["pix_fmt"]);
    }

    /// <summary>The file decoded by ffmpeg to raw RGB8 frames, concatenated.</summary>
    public static async Task<byte[]> DecodeRgbAsync(string path)
    {
        var output = Path.ChangeExtension(path, ".decoded.rgb");
        var (exit, log) = await AudioTools.RunAsync("ffmpeg", "-v", "error", "-y", "-i", path, "-f", "rawvideo", "-pix_fmt", "rgb24", output);
        if (exit != 0)
        {
            throw new InvalidOperationException($"ffmpeg decoding {path} exited {exit}: {log}");
        }
        var bytes = await File.ReadAllBytesAsync(output);
        File.Delete(output);
        return bytes;
    }

    private static int Parse(string value) => int.Parse(value, CultureInfo.InvariantCulture);
}
