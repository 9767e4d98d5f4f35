namespace Omni.DeploymentTests;

/// <summary>The CUDA graph shim against libtorch's C++ declarations (see <see cref="CudaGraphShim"/>).</summary>
public sealed class CudaGraphShimTests(CudaGraphShim shim) : IClassFixture<CudaGraphShim>
{
    [Fact]
    public void Capture_WithLibTorch_CapturesOnAPoolStreamOfTheDeviceInThreadLocalModeIntoTheSharedPool()
    {
        var expected = new[]
        {
            "CUDAGraph keep_graph=0",
            "create -> ok",
            "graph_pool_handle",
            "pool -> ok",
            "pool id 7,9",
            "getCurrentCUDAStream device=3",
            "getStreamFromPool high=0 device=3",
            "setCurrentCUDAStream type=1 index=3 id=1234567890123",
            "capture_begin pool=7,9 mode=1 marker=42",
            "capture_begin -> ok",
        };

        Assert.True(ContainsInOrder(shim.WithLibTorch, expected), shim.Log);
    }

    [Fact]
    public void CaptureEnd_WithLibTorch_RestoresTheStreamCurrentBefore()
    {
        Assert.True(ContainsInOrder(shim.WithLibTorch, ["capture_end marker=42", "setCurrentCUDAStream type=1 index=0 id=0", "capture_end -> ok"]), shim.Log);
    }

    [Fact]
    public void Replay_LibTorchThrows_ReturnsItsMessageAndTheGraphIsStillDestroyed()
    {
        var expected = new[] { "replay 1", "replay -> ok", "replay -> CUDA error: an illegal memory access was encountered", "~CUDAGraph marker=42 replays=2" };

        Assert.True(ContainsInOrder(shim.WithLibTorch, expected), shim.Log);
    }

    [Fact]
    public void Unavailable_WithoutCudaLibTorch_NamesTheLibraryNotFound()
    {
        Assert.Contains("unavailable -> no CUDA libtorch loaded: ", shim.WithoutLibTorch);
        Assert.Matches("create -> no CUDA libtorch loaded: lib(torch|c10)_cuda.so", shim.WithoutLibTorch);
    }

    private static bool ContainsInOrder(string output, string[] lines)
    {
        var all = output.Split('\n', StringSplitOptions.TrimEntries);
        var at = 0;
        foreach (var line in lines)
        {
            at = Array.IndexOf(all, line, at);
            if (at < 0)
            {
                return false;
            }
            at++;
        }
        return true;
    }
}
