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

    /// <summary>Where the bundle was unpacked and run (<c>W</c>).</summary>
    public string Work => Path.Combine(_directory, "work");

    /// <summary>The generated files (<c>omni generate --out</c>).</summary>
    public string Generated => Path.Combine(Work, "out");

    public int BundleExitCode { get; private set; }

    public int RunExitCode { get; private set; }

    public string Log { get; private set; } = "";

    public string Read(string file) => File.Exists(Path.Combine(Out, file)) ? File.ReadAllText(Path.Combine(Out, file)) : "";

    public async Task InitializeAsync()
    {
        var bundle = Path.Combine(_directory, "bundle");
        var log = new StringBuilder();
        BundleExitCode = (await ProcessRunner.RunAsync(log, "bash", [RepositoryPaths.Combine("scripts", "gpu-check.sh"), "bundle", bundle],
            new() { ["CONFIGURATION"] = "Debug", ["XZ_LEVEL"] = "0" })).ExitCode;
        if (BundleExitCode == 0)
        {
            RunExitCode = (await ProcessRunner.RunAsync(log, "bash", [Path.Combine(bundle, "run.sh")], new()
            {
                ["DEV"] = "cpu",
                ["QUICK"] = "1",
                ["BUDGET"] = "300",
                ["TORCH_LIB"] = CpuLibTorchDirectory(),
                ["OUT"] = Out,
                ["W"] = Work,
            })).ExitCode;
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
}
