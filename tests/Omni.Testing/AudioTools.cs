using System.Diagnostics;

namespace Omni.Testing;

/// <summary>Real audio decoders the tests read our files back with: Debian's sox and opus-tools (installed by scripts/test.sh).</summary>
public static class AudioTools
{
    /// <summary><c>sox --i -X path</c> (X one of r, c, s, b, D): the file's rate, channels, samples, bits or duration.</summary>
    public static async Task<string> SoxInfoAsync(string what, string path)
    {
        var (exit, output) = await RunAsync("sox", "--i", what, path);
        return exit == 0 ? output.Trim() : throw new InvalidOperationException($"sox --i {what} {path} exited {exit}: {output}");
    }

    public static async Task<(int ExitCode, string Output)> RunAsync(string program, params string[] args)
    {
        if (!File.Exists($"/usr/bin/{program}"))
        {
            throw new FileNotFoundException($"/usr/bin/{program} is missing: install Debian's sox, opus-tools and ffmpeg (scripts/test.sh does as root).");
        }
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout + await stderr);
    }
}
