using System.Text;
using Omni.Testing;

namespace Omni.DeploymentTests;

/// <summary>
/// The CUDA graph shim (native/cuda-graphs) built as the GPU bundle builds it, driven through its C interface in the
/// order <c>CudaGraph</c> calls it: once against stand-ins for libtorch_cuda.so and libc10_cuda.so that declare the
/// C++ functions as PyTorch's headers do (CudaGraphShim/*.cpp: the same mangled names and argument passing), and once
/// where no CUDA libtorch is loadable. A CPU cannot capture a graph; this holds the shim to libtorch's ABI.
/// </summary>
public sealed class CudaGraphShim : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("omni-cuda-graph-shim-").FullName;

    /// <summary>The driver's output with the stand-ins loadable.</summary>
    public string WithLibTorch { get; private set; } = "";

    /// <summary>The driver's output without them.</summary>
    public string WithoutLibTorch { get; private set; } = "";

    public string Log { get; private set; } = "";

    public async Task InitializeAsync()
    {
        var log = new StringBuilder();
        var (shim, fakes) = (Path.Combine(_directory, "shim"), Path.Combine(_directory, "libtorch"));
        Directory.CreateDirectory(fakes);
        var sources = RepositoryPaths.Combine("tests", "Omni.DeploymentTests", "CudaGraphShim");
        var driver = Path.Combine(_directory, "driver");
        var built = (await ProcessRunner.RunAsync(log, "bash", [RepositoryPaths.Combine("native", "cuda-graphs", "build.sh"), shim])).ExitCode == 0
            && (await ProcessRunner.RunAsync(log, "g++", ["-std=c++17", "-shared", "-fPIC", "-o", Path.Combine(fakes, "libtorch_cuda.so"),
                Path.Combine(sources, "fake_libtorch_cuda.cpp")])).ExitCode == 0
            && (await ProcessRunner.RunAsync(log, "g++", ["-std=c++17", "-shared", "-fPIC", "-o", Path.Combine(fakes, "libc10_cuda.so"),
                Path.Combine(sources, "fake_libc10_cuda.cpp")])).ExitCode == 0
            && (await ProcessRunner.RunAsync(log, "gcc", ["-o", driver, Path.Combine(sources, "driver.c"), $"-L{shim}", "-lomni_cuda_graphs",
                $"-Wl,-rpath,{shim}"])).ExitCode == 0;
        if (built)
        {
            WithLibTorch = (await ProcessRunner.RunAsync(log, driver, [], new() { ["LD_LIBRARY_PATH"] = fakes })).Output;
            WithoutLibTorch = (await ProcessRunner.RunAsync(log, driver, [], new() { ["LD_LIBRARY_PATH"] = _directory })).Output;
        }
        Log = log.ToString();
    }

    public Task DisposeAsync()
    {
        Directory.Delete(_directory, recursive: true);
        return Task.CompletedTask;
    }
}
