using Omni.ArStage.Engine;
using TorchSharp;

namespace Omni.ArStage.Tests;

public sealed class DeviceResolverTests
{
    [Theory]
    [InlineData("gpu")]
    [InlineData("cuda:x")]
    [InlineData("cuda:-1")]
    [InlineData("tpu:0")]
    [InlineData("")]
    public void Resolve_UnknownDevice_ThrowsArgumentException(string spec)
    {
        Assert.Throws<ArgumentException>(() => DeviceResolver.Resolve(spec));
    }

    [Fact]
    public void Resolve_Cpu_ReturnsCpu()
    {
        var (device, name) = DeviceResolver.Resolve("cpu");

        Assert.Equal(DeviceType.CPU, device.type);
        Assert.Equal("cpu", name);
    }

    [Fact]
    public void Resolve_Auto_PicksCudaOnlyWhenAvailable()
    {
        var (_, name) = DeviceResolver.Resolve("auto");

        Assert.Equal(torch.cuda.is_available() ? "cuda:0" : "cpu", name);
    }
}
