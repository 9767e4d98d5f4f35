using Omni.DiffusionStage.Engine;

namespace Omni.DiffusionStage.Tests;

/// <summary>One engine on the built-in video model (generated into a private cache directory) shared by the video tests.</summary>
public sealed class VideoEngineFixture : IDisposable
{
    private readonly TempDirectory cache = new();

    public VideoEngineFixture()
    {
        Engine = DiffusionEngine.Load(new DiffusionEngineOptions
        {
            CacheDirectory = cache.Path,
            Device = "cpu",
            BuiltInModel = BuiltInDiffusionModel.Video,
        });
    }

    public DiffusionEngine Engine { get; }

    public string CacheRoot => cache.Path;

    /// <summary>A 64x64 clip of <paramref name="frames"/> frames in 3 steps.</summary>
    public static DiffusionRequest SmallClip(int conditioningSeed = 1, ulong seed = 42, int frames = 4) =>
        new(DefaultEngineFixture.Conditioning(5, 256, conditioningSeed), 5, 256)
        {
            Width = 64, Height = 64, Steps = 3, Seed = seed, Frames = frames, Format = ImageFormat.Rgb8,
        };

    /// <summary>Runs one request alone and returns its frames in order.</summary>
    public List<byte[]> Frames(DiffusionRequest request)
    {
        var frames = new List<VideoFrame>();
        Engine.Generate(request, null, CancellationToken.None, frames.Add);
        Assert.Equal(Enumerable.Range(0, request.Frames), frames.Select(frame => frame.Index));
        return frames.Select(frame => frame.Rgb).ToList();
    }

    public void Dispose()
    {
        Engine.Dispose();
        cache.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class VideoEngineCollection : ICollectionFixture<VideoEngineFixture>
{
    public const string Name = "video diffusion engine";
}
