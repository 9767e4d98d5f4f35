using System.Diagnostics;
using System.Text;

namespace Omni.DeploymentTests;

/// <summary>
/// Runs a program to its end (at most 10 minutes), its command line, output and errors appended to a log; returns its
/// exit code and its standard output.
/// </summary>
internal static class ProcessRunner
{
    public static async Task<(int ExitCode, string Output)> RunAsync(StringBuilder log, string program, string[] arguments, Dictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        foreach (var (name, value) in environment ?? [])
        {
            start.Environment[name] = value;
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Cannot start {program}.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
        log.AppendLine($"$ {program} {string.Join(' ', arguments)}").AppendLine(await output).AppendLine(await error);
        return (process.ExitCode, await output);
    }
}
