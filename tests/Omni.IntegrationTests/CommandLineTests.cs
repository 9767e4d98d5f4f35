using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using Omni.Cli.Client;

namespace Omni.IntegrationTests;

/// <summary>The omni tool as users run it: `up --json` in one process, `generate` against it from another.</summary>
public sealed partial class CommandLineTests
{
    private static string OmniDll => Path.Combine(AppContext.BaseDirectory, "omni.dll");

    [Fact]
    public async Task UpJson_ThenGenerate_PrintsServicesAndServesRequests()
    {
        using var up = Start("up", "--json", "--device", "cpu");
        try
        {
            var services = new List<JsonElement>();
            while (services.Count < 3)
            {
                var line = await up.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromMinutes(3));
                if (line is null)
                {
                    Assert.Fail("omni up exited before printing its services: " + await up.StandardError.ReadToEndAsync());
                }
                services.Add(JsonDocument.Parse(line!).RootElement);
            }
            Assert.Equal(["orchestrator", "ar-stage", "diffusion-stage"], services.Select(s => s.GetProperty("name").GetString()));
            Assert.Equal(JsonValueKind.Null, services[0].GetProperty("stage_id").ValueKind);
            Assert.Equal([0, 1], services.Skip(1).Select(s => s.GetProperty("stage_id").GetInt32()));
            Assert.All(services, s => Assert.StartsWith("http://127.0.0.1:", s.GetProperty("metrics").GetString()));
            var orchestrator = services[0].GetProperty("grpc").GetString()!;
            var output = Path.Combine(Path.GetTempPath(), $"omni-cli-test-{Guid.NewGuid():N}");

            using var generate = Start("generate", "--orchestrator", orchestrator, "--outputs", "text", "image", "--max-tokens", "4",
                "--width", "64", "--height", "64", "--steps", "2", "--seed", "3", "--out", output);
            var printed = await generate.StandardOutput.ReadToEndAsync().WaitAsync(TimeSpan.FromMinutes(2));
            await generate.WaitForExitAsync();

            Assert.Equal(0, generate.ExitCode);
            Assert.Contains("Timing: finish=length tokens=", printed);
            Assert.Single(Directory.GetFiles(output, "*.png"));
        }
        finally
        {
            // SIGTERM, as Ctrl-C would: `up` must stop its children itself.
            _ = Kill(up.Id, 15);
            await up.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }
        Assert.Equal(0, up.ExitCode);
    }

    [Fact]
    public async Task Up_AdmissionAndConnectorFlags_ReachTheOrchestrator()
    {
        using var up = Start("up", "--json", "--device", "cpu", "--max-inflight", "1", "--max-waiting", "0", "--connector", "direct");
        try
        {
            string? orchestrator = null;
            for (var i = 0; i < 3; i++)
            {
                var line = await up.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromMinutes(3));
                if (line is null)
                {
                    Assert.Fail("omni up exited: " + await up.StandardError.ReadToEndAsync());
                }
                var service = JsonDocument.Parse(line!).RootElement;
                if (service.GetProperty("name").GetString() == "orchestrator")
                {
                    orchestrator = service.GetProperty("grpc").GetString();
                }
            }
            using var client = new OmniClient(orchestrator!);

            var deadline = DateTime.UtcNow.AddMinutes(1);
            var image = await client.GenerateAsync(Requests.Image(steps: 1), deadline: deadline);
            var long1 = client.GenerateAsync(Requests.Text(maxTokens: 64), deadline: deadline);
            await Task.Delay(300);
            var refused = await Assert.ThrowsAsync<Grpc.Core.RpcException>(() => client.GenerateAsync(Requests.Text(maxTokens: 2), deadline: deadline));
            await long1;

            Assert.Equal("direct", image.Final.Transfers.Single().Connector);
            Assert.Equal(Grpc.Core.StatusCode.ResourceExhausted, refused.StatusCode);
        }
        finally
        {
            _ = Kill(up.Id, 15);
            await up.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }
    }

    [Fact]
    public async Task Generate_NoOrchestratorListening_ExitCodeTwoAndUnavailable()
    {
        using var generate = Start("generate", "--orchestrator", "http://127.0.0.1:1", "--prompt", "x", "--outputs", "text");
        var error = await generate.StandardError.ReadToEndAsync().WaitAsync(TimeSpan.FromMinutes(1));
        await generate.WaitForExitAsync();

        Assert.Equal(2, generate.ExitCode);
        Assert.StartsWith("Unavailable", error);
    }

    private static Process Start(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(OmniDll);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        return Process.Start(start)!;
    }

    [LibraryImport("libc", EntryPoint = "kill")]
    private static partial int Kill(int pid, int signal);
}
