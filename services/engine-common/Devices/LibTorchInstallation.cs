using System.Text.RegularExpressions;

namespace Omni.Common.Devices;

/// <summary>
/// Which libtorch a stage runs on, for its start-up log, and the clear error when none can be loaded. The stages
/// bring TorchSharp's CPU libtorch package, or run against a PyTorch installation's libtorch that LD_LIBRARY_PATH
/// puts first ("bring your own libtorch", docs/usage.md, "GPUs").
/// </summary>
public static partial class LibTorchInstallation
{
    /// <summary>The libtorch this process mapped (its folder, version and whether it has CUDA) and the NVIDIA GPUs the driver lists.</summary>
    public static string Describe() =>
        Describe(File.Exists("/proc/self/maps") ? File.ReadAllText("/proc/self/maps") : "", "/proc/driver/nvidia/gpus");

    /// <param name="maps">The process's memory map (/proc/self/maps).</param>
    /// <param name="gpuDirectory">The NVIDIA driver's folder of GPUs, each with an "information" file.</param>
    public static string Describe(string maps, string gpuDirectory)
    {
        ArgumentNullException.ThrowIfNull(maps);
        var mapped = maps.Split('\n')
            .Select(line => line.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "")
            .Where(path => path.StartsWith('/'))
            .Distinct(StringComparer.Ordinal)
            .ToList();
        var cpu = mapped.FirstOrDefault(path => Path.GetFileName(path).StartsWith("libtorch_cpu.so", StringComparison.Ordinal));
        if (cpu is null)
        {
            return "libtorch: not loaded yet";
        }
        var folder = Path.GetDirectoryName(cpu)!;
        var cuda = mapped.Any(path => Path.GetFileName(path).StartsWith("libtorch_cuda.so", StringComparison.Ordinal));
        var gpus = Directory.Exists(gpuDirectory)
            ? Directory.GetDirectories(gpuDirectory).Order(StringComparer.Ordinal).Select(Model).OfType<string>().ToList()
            : [];
        return $"libtorch {Version(folder)} from {folder} ({(cuda ? "with CUDA" : "CPU only")}); NVIDIA GPUs: {(gpus.Count == 0 ? "none" : string.Join(", ", gpus))}";
    }

    /// <summary>
    /// Runs the engine's load; if libtorch itself cannot be loaded (missing or not the kind TorchSharp was built
    /// against), fails with what is missing and how to provide it instead of a type-initializer stack.
    /// </summary>
    public static T Load<T>(Func<T> load)
    {
        ArgumentNullException.ThrowIfNull(load);
        try
        {
            return load();
        }
        catch (Exception error) when (MissingLibrary(error) is { } missing)
        {
            throw new InvalidOperationException(
                $"libtorch could not be loaded ({missing.GetType().Name}: {FirstLine(missing.Message)}). A stage needs libtorch.so, libtorch_cpu.so and " +
                "libc10.so (and libtorch_cuda.so for CUDA): TorchSharp's libtorch package beside its binaries, or a PyTorch installation's " +
                "torch/lib folder, with its nvidia/*/lib folders for CUDA, first on LD_LIBRARY_PATH " +
                $"(now '{Environment.GetEnvironmentVariable("LD_LIBRARY_PATH")}'); see docs/usage.md, \"GPUs\".", error);
        }
    }

    private static string FirstLine(string message) => message.Split('\n', 2)[0].Trim();

    private static Exception? MissingLibrary(Exception error)
    {
        for (var current = error; current is not null; current = current.InnerException)
        {
            if (current is DllNotFoundException or EntryPointNotFoundException
                || current is NotSupportedException && current.Message.Contains("libtorch", StringComparison.OrdinalIgnoreCase))
            {
                return current;
            }
        }
        return null;
    }

    /// <summary>A PyTorch installation's torch/version.py beside its lib folder, else the package version in the path.</summary>
    private static string Version(string folder)
    {
        var versionFile = Path.Combine(Path.GetDirectoryName(folder) ?? folder, "version.py");
        if (File.Exists(versionFile) && PythonVersion().Match(File.ReadAllText(versionFile)) is { Success: true } python)
        {
            return python.Groups[1].Value;
        }
        return PackageVersion().Match(folder) is { Success: true } package ? package.Groups[1].Value : "(version unknown)";
    }

    private static string? Model(string gpu)
    {
        var information = Path.Combine(gpu, "information");
        return File.Exists(information) && ModelLine().Match(File.ReadAllText(information)) is { Success: true } model ? model.Groups[1].Value.Trim() : null;
    }

    [GeneratedRegex(@"^__version__\s*=\s*['""]([^'""]+)['""]", RegexOptions.Multiline)]
    private static partial Regex PythonVersion();

    [GeneratedRegex(@"/(\d+\.\d+\.\d+[^/]*)/runtimes/")]
    private static partial Regex PackageVersion();

    [GeneratedRegex(@"^Model:\s*(.+)$", RegexOptions.Multiline)]
    private static partial Regex ModelLine();
}
