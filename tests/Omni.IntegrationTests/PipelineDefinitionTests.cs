using Omni.Cli.Launching;

namespace Omni.IntegrationTests;

/// <summary>The orchestrator refuses to start with a pipeline definition it cannot run, and says why.</summary>
public sealed class PipelineDefinitionTests
{
    [Fact]
    public async Task Start_DefinitionWithACycle_ExitsNamingTheStagesAlongIt()
    {
        var (exitCode, log) = await StartAsync("cycle.yaml", """
            pipeline:
              stages:
                - name: a
                  kind: ar
                  addresses: http://127.0.0.1:1
                  produces: [text, hidden_states]
                  clientOutputs: [text]
                  inputs:
                    - from: b
                      tensors: [image]
                - name: b
                  kind: diffusion
                  addresses: http://127.0.0.1:2
                  produces: [image]
                  clientOutputs: [image]
                  inputs:
                    - from: a
                      tensors: [hidden_states]
            """);

        Assert.NotEqual(0, exitCode);
        Assert.Contains("The stages form a cycle: b -> a -> b.", log);
    }

    [Fact]
    public async Task Start_DefinitionWithAnInputNoStageProduces_ExitsNamingTheEdge()
    {
        var (exitCode, log) = await StartAsync("missing.json", """
            { "pipeline": { "stages": [
              { "name": "ar", "kind": "ar", "addresses": "http://127.0.0.1:1", "produces": ["text"], "clientOutputs": ["text"] },
              { "name": "dit", "kind": "diffusion", "addresses": "http://127.0.0.1:2", "produces": ["image"], "clientOutputs": ["image"],
                "inputs": [ { "from": "ar", "tensors": ["hidden_states"] } ] } ] } }
            """);

        Assert.NotEqual(0, exitCode);
        Assert.Contains("Stage 'dit' input 0 needs 'hidden_states' from stage 'ar', which does not produce it (it produces text).", log);
    }

    private static async Task<(int ExitCode, string Log)> StartAsync(string name, string definition)
    {
        var directory = Path.Combine(Path.GetTempPath(), $"omni-definition-{Guid.NewGuid():N}"[..28]);
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, name);
        await File.WriteAllTextAsync(path, definition);
        var ports = FreePorts.Take(2);
        await using var orchestrator = ServiceProcess.Start(ServiceKind.Orchestrator, ports[0], ports[1], -1, 0, ["--pipeline", path], directory);
        var deadline = DateTime.UtcNow.AddMinutes(1);
        while (!orchestrator.HasExited && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }
        var exitCode = await orchestrator.StopAsync();
        return (exitCode, orchestrator.Tail(200));
    }
}
