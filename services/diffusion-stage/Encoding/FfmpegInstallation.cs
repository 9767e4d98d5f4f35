using System.Diagnostics;
using FFMpegCore;

namespace Omni.DiffusionStage.Encoding;

/// <summary>
/// The ffmpeg a video stage encodes with, checked at start (before the ports open) so that a missing ffmpeg, or one
/// without libx264, stops the stage with a clear message instead of failing every video request.
/// </summary>
public static class FfmpegInstallation
{
    /// <summary>Returns "ffmpeg version ... (libx264) at PATH"; throws <see cref="InvalidOperationException"/> when it cannot encode H.264.</summary>
    /// <param name="binary">The ffmpeg to check; null: the one FFMpegCore runs (found on PATH).</param>
    public static string Require(string? binary = null)
    {
        binary ??= GlobalFFOptions.GetFFMpegBinaryPath();
        var version = Run(binary, "-hide_banner -version").Split('\n', 2)[0].Trim();
        if (!Run(binary, "-hide_banner -encoders").Contains(" libx264 ", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"{version} ({binary}) has no libx264 encoder: install Debian's ffmpeg, which the video stage encodes H.264 with.");
        }
        return $"{version} (libx264) at {binary}";
    }

    private static string Run(string binary, string arguments)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(binary, arguments) { RedirectStandardOutput = true, RedirectStandardError = true })!;
            var output = process.StandardOutput.ReadToEndAsync();
            _ = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromSeconds(30)))
            {
                process.Kill();
                throw new InvalidOperationException($"{binary} {arguments} did not finish within 30 s.");
            }
            return process.ExitCode == 0 ? output.Result : throw new InvalidOperationException($"{binary} {arguments} exited {process.ExitCode}.");
        }
        catch (System.ComponentModel.Win32Exception error)
        {
            throw new InvalidOperationException($"ffmpeg was not found ({binary}: {error.Message}): install Debian's ffmpeg, which the video stage encodes H.264 with.", error);
        }
    }
}
