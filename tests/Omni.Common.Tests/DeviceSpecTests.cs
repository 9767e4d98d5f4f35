using Omni.Common.Devices;

namespace Omni.Common.Tests;

public sealed class DeviceSpecTests
{
    [Theory]
    [InlineData("gpu")]
    [InlineData("cuda:x")]
    [InlineData("cuda:-1")]
    [InlineData("tpu:0")]
    [InlineData("")]
    public void Resolve_UnknownDevice_ArgumentExceptionListingTheChoices(string option)
    {
        var error = Assert.Throws<ArgumentException>(() => DeviceSpec.Resolve(option, cudaDevices: 2));

        Assert.Contains("expected \"auto\", \"cpu\", \"cuda\" or \"cuda:N\"", error.Message);
    }

    [Theory]
    [InlineData("cpu", 0, "cpu")]
    [InlineData("CPU", 2, "cpu")]
    [InlineData("auto", 0, "cpu")]
    [InlineData(null, 0, "cpu")]
    [InlineData("auto", 2, "cuda:0")]
    [InlineData("cuda", 1, "cuda:0")]
    [InlineData(" Cuda:1 ", 2, "cuda:1")]
    public void Resolve_KnownDevice_CanonicalName(string? option, int cudaDevices, string expected)
    {
        Assert.Equal(expected, DeviceSpec.Resolve(option, cudaDevices).Name);
    }

    [Fact]
    public void Resolve_CudaWithoutCuda_ArgumentExceptionSayingSo()
    {
        var error = Assert.Throws<ArgumentException>(() => DeviceSpec.Resolve("cuda", cudaDevices: 0));

        Assert.Contains("CUDA is not available", error.Message);
    }

    [Fact]
    public void Resolve_IndexBeyondTheDevices_ArgumentExceptionWithTheCount()
    {
        var error = Assert.Throws<ArgumentException>(() => DeviceSpec.Resolve("cuda:2", cudaDevices: 2));

        Assert.Contains("2 CUDA device(s) are available", error.Message);
    }
}
