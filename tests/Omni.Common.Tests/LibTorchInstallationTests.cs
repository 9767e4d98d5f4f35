using Omni.Common.Devices;

namespace Omni.Common.Tests;

public sealed class LibTorchInstallationTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("omni-libtorch-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static string Maps(params string[] paths) =>
        string.Join('\n', paths.Select((path, i) => $"7f00{i:x4}000-7f00{i:x4}fff r-xp 00000000 fd:01 {1000 + i}   {path}")) + "\n";

    [Fact]
    public void Describe_PyTorchInstallation_NamesItsVersionFolderCudaAndGpus()
    {
        var lib = Directory.CreateDirectory(Path.Combine(_root, "site-packages", "torch", "lib")).FullName;
        File.WriteAllText(Path.Combine(lib, "..", "version.py"), "__version__ = '2.11.0+cu130'\ngit_version = 'abc'\n");
        var gpus = Directory.CreateDirectory(Path.Combine(_root, "gpus", "0000:17:00.0")).FullName;
        File.WriteAllText(Path.Combine(gpus, "information"), "Model: \t\t NVIDIA H200\nIRQ: 42\n");

        var described = LibTorchInstallation.Describe(Maps($"{lib}/libc10.so", $"{lib}/libtorch_cpu.so", $"{lib}/libtorch_cuda.so"),
            Path.Combine(_root, "gpus"));

        Assert.Equal($"libtorch 2.11.0+cu130 from {lib} (with CUDA); NVIDIA GPUs: NVIDIA H200", described);
    }

    [Fact]
    public void Describe_TorchSharpPackage_VersionFromItsPathCpuOnly()
    {
        const string Folder = "/root/.nuget/packages/libtorch-cpu-linux-x64/2.10.0/runtimes/linux-x64/native";

        var described = LibTorchInstallation.Describe(Maps($"{Folder}/libtorch_cpu.so", "/usr/lib/libc.so.6"), Path.Combine(_root, "none"));

        Assert.Equal($"libtorch 2.10.0 from {Folder} (CPU only); NVIDIA GPUs: none", described);
    }

    [Fact]
    public void Describe_NothingMapped_SaysSo()
    {
        Assert.Equal("libtorch: not loaded yet", LibTorchInstallation.Describe(Maps("/usr/lib/libc.so.6"), _root));
    }

    [Fact]
    public void Load_LibraryMissing_ClearErrorNamingWhatIsNeeded()
    {
        var error = Assert.Throws<InvalidOperationException>(() =>
            LibTorchInstallation.Load<int>(() => throw new TypeInitializationException("TorchSharp.torch", new DllNotFoundException("libtorch_cpu.so: cannot open"))));

        Assert.StartsWith("libtorch could not be loaded (DllNotFoundException: libtorch_cpu.so: cannot open).", error.Message, StringComparison.Ordinal);
        Assert.Contains("LD_LIBRARY_PATH", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_OtherFailure_PassesThroughUnchanged()
    {
        var failure = new InvalidDataException("config.json is malformed");

        Assert.Same(failure, Assert.Throws<InvalidDataException>(() => LibTorchInstallation.Load<int>(() => throw failure)));
    }
}
