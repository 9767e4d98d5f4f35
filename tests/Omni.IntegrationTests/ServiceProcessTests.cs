using Omni.Cli.Launching;
using Omni.Testing;

namespace Omni.IntegrationTests;

/// <summary>Starting a service: healthy means this process serves its port, not whatever else took it first.</summary>
public sealed class ServiceProcessTests
{
    [Fact]
    public async Task WaitHealthyAsync_GrpcPortTakenByAnotherHealthyService_ThrowsWithTheBindError()
    {
        var directory = Path.Combine(Path.GetTempPath(), $"omni-service-process-{Guid.NewGuid():N}"[..32]);
        var ports = FreePorts.Take(3);
        await using var first = ServiceProcess.Start(ServiceKind.Code2WavStage, ports[0], ports[1], 3, 0, ["--device", "cpu"], directory);
        await first.WaitHealthyAsync(TimeSpan.FromMinutes(2), CancellationToken.None);

        await using var second = ServiceProcess.Start(ServiceKind.Code2WavStage, ports[0], ports[2], 3, 1, ["--device", "cpu"], directory);
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => second.WaitHealthyAsync(TimeSpan.FromMinutes(2), CancellationToken.None));

        Assert.Contains("already in use", failure.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("03:09:51.058 info: Microsoft.Hosting.Lifetime[14] Now listening on: http://127.0.0.1:41625", 41625, true)]
    [InlineData("Now listening on: https://127.0.0.1:41625  ", 41625, true)]
    [InlineData("03:09:51.058 info: Microsoft.Hosting.Lifetime[14] Now listening on: http://127.0.0.1:141625", 41625, false)]
    [InlineData("03:09:51.058 info: Microsoft.Hosting.Lifetime[14] Now listening on: http://127.0.0.1:36223", 41625, false)]
    [InlineData("request for http://127.0.0.1:41625", 41625, false)]
    public void IsListeningOn_KestrelLine_MatchesOnlyThatPort(string line, int port, bool expected)
    {
        Assert.Equal(expected, ServiceProcess.IsListeningOn(line, port));
    }
}
