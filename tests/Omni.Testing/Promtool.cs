using System.Diagnostics;

namespace Omni.Testing;

/// <summary>Runs the real `promtool check metrics` (installed by .ci/run: Debian package prometheus).</summary>
public static class Promtool
{
    public static async Task<(int ExitCode, string Output)> CheckMetricsAsync(string exposition)
    {
        var start = new ProcessStartInfo("promtool", "check metrics")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        await process.StandardInput.WriteAsync(exposition);
        process.StandardInput.Close();
        var output = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, output);
    }

    /// <summary>
    /// Lint findings other than those the contract's vLLM names carry by design: ':' in names, the '_ms' unit of the
    /// diffusion and transfer timings, and vLLM's histogram named vllm:iteration_tokens_total.
    /// </summary>
    public static IReadOnlyList<string> UnexpectedLintFindings(string output) =>
        output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(line => !line.EndsWith("metric names should not contain ':'", StringComparison.Ordinal)
                && !(line.Contains("_ms ", StringComparison.Ordinal) && line.EndsWith("should not contain abbreviated units", StringComparison.Ordinal))
                && !line.StartsWith("vllm:iteration_tokens_total non-counter metrics should not have \"_total\" suffix", StringComparison.Ordinal))
            .ToList();
}
