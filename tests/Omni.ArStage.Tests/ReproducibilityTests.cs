using Omni.ArStage.Engine;
using Omni.ArStage.Tests.Support;
using static TorchSharp.torch;

namespace Omni.ArStage.Tests;

/// <summary>
/// Same inputs, same bits: a request's logprobs (every float's bits, not only the token ids) are the same alone, in a
/// batch beside other requests, and with the allocator's buffers shifted by odd-sized tensors held in between.
/// </summary>
public sealed class ReproducibilityTests
{
    // "Hello, there!" has as many tokens as the request, so the two share every decode group.
    private static readonly string[] Neighbours = ["Hello, there!", "The quick brown fox jumps over the lazy dog", "A", "1 2 3 4 5 6 7 8 9 10 11 12"];

    private static GenerationRequest Request() => new("Hello, world!") { Temperature = 0, MaxTokens = 12, Logprobs = 5, IgnoreEos = true };

    [Fact]
    public async Task GenerateAsync_AloneAndInABatch_SameLogprobBits()
    {
        using var engine = TestEngines.Qwen2Tiny(o => o with { BlockSize = 4, TorchThreads = 1 });

        var alone = Run(engine, Request());
        var neighbours = Neighbours.Select((prompt, i) =>
            engine.GenerateAsync(new GenerationRequest(prompt) { MaxTokens = 30, Temperature = i % 2, Seed = 9, IgnoreEos = true }, null, CancellationToken.None)).ToArray();
        var batched = new List<GeneratedToken>();
        var task = engine.GenerateAsync(Request(), batched.Add, CancellationToken.None);
        await Task.WhenAll([task, .. neighbours]).WaitAsync(TimeSpan.FromMinutes(2));

        Assert.Equal(LogprobBits.Of(alone), LogprobBits.Of(batched));
    }

    [Fact]
    public async Task GenerateAsync_LongPromptChunkedDifferentlyAloneAndInABatch_SameLogprobBits()
    {
        // 24 tokens a step: alone the prompt is prefilled in chunks of 24; beside decoding neighbours in smaller ones.
        using var engine = TestEngines.Qwen2Tiny(o => o with { BlockSize = 4, MaxNumBatchedTokens = 24 });
        var request = Request() with { Prompt = string.Join(' ', Enumerable.Range(1, 40).Select(i => $"w{i}")) };

        var alone = Run(engine, request);
        var decoding = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var neighbours = Neighbours.Select(prompt => engine.GenerateAsync(new GenerationRequest(prompt) { MaxTokens = 40, Temperature = 0, IgnoreEos = true },
            _ => decoding.TrySetResult(), CancellationToken.None)).ToArray();
        await decoding.Task.WaitAsync(TimeSpan.FromMinutes(1));
        var batched = new List<GeneratedToken>();
        await Task.WhenAll([engine.GenerateAsync(request, batched.Add, CancellationToken.None), .. neighbours]).WaitAsync(TimeSpan.FromMinutes(2));

        Assert.Equal(LogprobBits.Of(alone), LogprobBits.Of(batched));
    }

    [Fact]
    public void Generate_OddSizedTensorsHeldBetweenTwoRuns_SameLogprobBits()
    {
        using var engine = TestEngines.Qwen2Tiny();

        var first = Run(engine, Request());
        using var scope = NewDisposeScope();
        var held = new[] { 3L, 17, 1001, 4099 }.Select(size => ones(size, dtype: ScalarType.Float32)).ToArray();
        var second = Run(engine, Request());

        GC.KeepAlive(held);
        Assert.Equal(LogprobBits.Of(first), LogprobBits.Of(second));
    }

    private static List<GeneratedToken> Run(ArEngine engine, GenerationRequest request)
    {
        var tokens = new List<GeneratedToken>();
        engine.Generate(request, tokens.Add, CancellationToken.None);
        return tokens;
    }
}
