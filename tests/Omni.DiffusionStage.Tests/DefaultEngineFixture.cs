using Omni.DiffusionStage.Engine;

namespace Omni.DiffusionStage.Tests;

/// <summary>One default-model engine (generated into a private cache directory) shared by the engine tests.</summary>
public sealed class DefaultEngineFixture : IDisposable
{
    private readonly TempDirectory cache = new();

    public DefaultEngineFixture()
    {
        Engine = DiffusionEngine.Load(new DiffusionEngineOptions { CacheDirectory = cache.Path, Device = "cpu" });
    }

    public DiffusionEngine Engine { get; }

    public string CacheRoot => cache.Path;

    public static float[] Conditioning(int tokens, int width, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, tokens * width).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
    }

    public static DiffusionRequest SmallRequest(int conditioningSeed = 1, ulong seed = 42) =>
        new(Conditioning(6, 256, conditioningSeed), 6, 256) { Width = 64, Height = 64, Steps = 4, Seed = seed };

    public void Dispose()
    {
        Engine.Dispose();
        cache.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class DefaultEngineCollection : ICollectionFixture<DefaultEngineFixture>
{
    public const string Name = "default diffusion engine";
}
