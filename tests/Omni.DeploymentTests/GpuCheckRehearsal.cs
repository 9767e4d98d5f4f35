using System.Diagnostics;
using System.Text;
using Omni.Testing;

namespace Omni.DeploymentTests;

/// <summary>
/// One rehearsal of <c>scripts/gpu-check.sh</c> on this CPU, as docs/usage.md ("GPUs") describes: the bundle (quick:
/// Debug, fast compression), then its <c>run.sh</c> with <c>DEV=cpu QUICK=1</c>, the .NET runtime taken from the bundle
/// and libtorch from <c>TORCH_LIB</c> (the CPU libtorch package in the NuGet cache: "bring your own libtorch").
/// </summary>
public sealed class GpuCheckRehearsal : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("omni-gpu-check-").FullName;

    public string Out => Path.Combine(_directory, "out");

    /// <summary>The generated files (<c>omni generate --out</c>).</summary>
    public string Generated => Path.Combine(_directory, "work", "out");

    public int BundleExitCode { get; private set; }

    public int RunExitCode { get; private set; }

    public string Log { get; private set; } = "";

    public string Read(string file) => File.Exists(Path.Combine(Out, file)) ? File.ReadAllText(Path.Combine(Out, file)) : "";

    public async Task InitializeAsync()
    {
        var bundle = Path.Combine(_directory, "bundle");
        var log = new StringBuilder();
        BundleExitCode = await RunAsync(log, RepositoryPaths.Combine("scripts", "gpu-check.sh"), ["bundle", bundle],
            new() { ["CONFIGURATION"] = "Debug", ["XZ_LEVEL"] = "0" });
        if (BundleExitCode == 0)
        {
            RunExitCode = await RunAsync(log, Path.Combine(bundle, "run.sh"), [], new()
            {
                ["DEV"] = "cpu",
                ["QUICK"] = "1",
                ["BUDGET"] = "300",
                ["TORCH_LIB"] = CpuLibTorchDirectory(),
                ["OUT"] = Out,
                ["W"] = Path.Combine(_directory, "work"),
            });
        }
        Log = log.ToString();
    }

    public Task DisposeAsync()
    {
        Directory.Delete(_directory, recursive: true);
        return Task.CompletedTask;
    }

    private static string CpuLibTorchDirectory()
    {
        var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } configured ? configured
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        return Directory.GetDirectories(Path.Combine(packages, "libtorch-cpu-linux-x64"))
            .Select(version => Path.Combine(version, "runtimes", "linux-x64", "native"))
            .First(native => File.Exists(Path.Combine(native, "libtorch.so")));
    }

    private static async Task<int> RunAsync(StringBuilder log, string script, string[] arguments, Dictionary<string, string> environment)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(script);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Cannot start {script}.");
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
        log.AppendLine($"$ {script} {string.Join(' ', arguments)}").AppendLine(await output).AppendLine(await error);
        return process.ExitCode;
    }
}
