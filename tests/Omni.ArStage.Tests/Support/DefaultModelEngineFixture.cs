using Omni.ArStage.Engine;

namespace Omni.ArStage.Tests.Support;

/// <summary>One engine over the built-in default model, generated into a private cache directory.</summary>
public sealed class DefaultModelEngineFixture : IDisposable
{
    private readonly TempDirectory _cache = new();

    public DefaultModelEngineFixture()
    {
        Engine = ArEngine.Load(new ArEngineOptions { CacheDirectory = _cache.Path, Device = "cpu", NumKvBlocks = 1024 });
    }

    public ArEngine Engine { get; }

    public string CacheDirectory => _cache.Path;

    public void Dispose()
    {
        Engine.Dispose();
        _cache.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class DefaultModelCollection : ICollectionFixture<DefaultModelEngineFixture>
{
    public const string Name = "default model engine";
}
