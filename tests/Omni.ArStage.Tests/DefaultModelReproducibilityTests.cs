using Omni.ArStage.Engine;
using Omni.ArStage.Tests.Support;

namespace Omni.ArStage.Tests;

/// <summary>
/// The built-in model's widths put pointwise kernels' scalar tails and small-M GEMM paths where qwen2-tiny's do not:
/// a request alone and among seven prompts of its length (one attention group, eight decode rows) gives the same bits.
/// </summary>
[Collection(DefaultModelCollection.Name)]
public sealed class DefaultModelReproducibilityTests(DefaultModelEngineFixture fixture)
{
    [Fact]
    public async Task GenerateAsync_AloneAndAmongPromptsOfItsLength_SameLogprobBits()
    {
        var prompts = Enumerable.Range(0, 8).Select(i => $"Request {i} of the reproducibility test:").ToArray();
        static GenerationRequest Request(string prompt) => new(prompt) { Temperature = 0, MaxTokens = 24, Logprobs = 3, IgnoreEos = true };

        var alone = new List<GeneratedToken>();
        fixture.Engine.Generate(Request(prompts[0]), alone.Add, CancellationToken.None);
        var batched = prompts.Select(_ => new List<GeneratedToken>()).ToArray();
        await Task.WhenAll(prompts.Select((prompt, i) => fixture.Engine.GenerateAsync(Request(prompt), batched[i].Add, CancellationToken.None)));

        Assert.Equal(LogprobBits.Of(alone), LogprobBits.Of(batched[0]));
    }
}
