using Omni.ArStage.Engine;

namespace Omni.ArStage.Tests.Support;

/// <summary>One engine over the qwen2-tiny fixture checkpoint, shared by the tests of a collection.</summary>
public sealed class Qwen2TinyEngineFixture : IDisposable
{
    public Qwen2TinyEngineFixture()
    {
        Engine = TestEngines.Qwen2Tiny();
    }

    public ArEngine Engine { get; }

    public void Dispose() => Engine.Dispose();
}

[CollectionDefinition(Name)]
public sealed class Qwen2TinyCollection : ICollectionFixture<Qwen2TinyEngineFixture>
{
    public const string Name = "qwen2-tiny engine";
}
