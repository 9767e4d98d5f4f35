using Omni.DiffusionStage.Engine;
using Omni.DiffusionStage.Model;

namespace Omni.DiffusionStage.Tests;

[Collection(VideoEngineCollection.Name)]
public sealed class VideoEngineTests(VideoEngineFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    private DiffusionEngine Engine => fixture.Engine;

    [Fact]
    public void Load_BuiltInVideoModel_IsAVideoModelWithTwoFramePatches()
    {
        Assert.True(Engine.IsVideo);
        Assert.Equal(2, Engine.TemporalPatchSize);
        Assert.Equal(DefaultDiffusionModel.VideoName, Engine.ModelName);
    }

    [Fact]
    public void WarmUp_VideoModel_RunsAClipOfOnePatch()
    {
        var observer = new RecordingEngineObserver();
        using var loop = new DiffusionEngineLoop(Engine, maxBatchSize: 1, maxWaiting: 1, observer);
        loop.Start();

        Assert.True(loop.WarmUp() > TimeSpan.Zero);
        Assert.Empty(observer.Completed);
    }

    [Fact]
    public void Generate_Clip_EveryFrameDecodedInOrderAsRgb8OfTheRequestedSize()
    {
        var frames = new List<VideoFrame>();

        var result = Engine.Generate(VideoEngineFixture.SmallClip(frames: 6), null, CancellationToken.None, frames.Add);

        Assert.Equal(6, result.Frames);
        Assert.Empty(result.Images);
        Assert.Equal(Enumerable.Range(0, 6), frames.Select(frame => frame.Index));
        Assert.All(frames, frame => Assert.Equal(64 * 64 * 3, frame.Rgb.Length));
    }

    [Fact]
    public void Generate_Clip_FramesDifferFromEachOther()
    {
        var frames = fixture.Frames(VideoEngineFixture.SmallClip(seed: 5));

        Assert.Equal(4, frames.Distinct(ByteArrayComparer.Instance).Count());
    }

    [Fact]
    public void Generate_SameSeedTwice_SameFrames()
    {
        var first = fixture.Frames(VideoEngineFixture.SmallClip(seed: 9));
        var second = fixture.Frames(VideoEngineFixture.SmallClip(seed: 9));

        Assert.Equal(first, second);
    }

    [Fact]
    public void Generate_OtherSeed_OtherFrames()
    {
        var first = fixture.Frames(VideoEngineFixture.SmallClip(seed: 9));
        var other = fixture.Frames(VideoEngineFixture.SmallClip(seed: 10));

        Assert.NotEqual(first[0], other[0]);
    }

    [Fact]
    public async Task SubmitAsync_TwoClipsInOneBatch_SameFramesAsTwoSingleRuns()
    {
        DiffusionRequest[] requests = [VideoEngineFixture.SmallClip(conditioningSeed: 1, seed: 1), VideoEngineFixture.SmallClip(conditioningSeed: 2, seed: 2) with { Steps = 4, GuidanceScale = 2f }];
        var expected = requests.Select(fixture.Frames).ToList();
        var observer = new RecordingEngineObserver();
        using var loop = new DiffusionEngineLoop(Engine, maxBatchSize: 2, maxWaiting: 8, observer);
        var received = requests.Select(_ => new List<VideoFrame>()).ToList();

        var submitted = requests.Select((request, i) => loop.SubmitAsync(request, CancellationToken.None, received[i].Add)).ToList();
        loop.Start();
        await Task.WhenAll(submitted).WaitAsync(Timeout);

        Assert.Equal(2, observer.MaxRunning);
        Assert.Equal(expected[0], received[0].Select(frame => frame.Rgb));
        Assert.Equal(expected[1], received[1].Select(frame => frame.Rgb));
    }

    [Fact]
    public async Task SubmitAsync_CancelledWhileDenoising_CancelledAndTheNextClipIsServed()
    {
        using var cancellation = new CancellationTokenSource();
        var observer = new RecordingEngineObserver { AfterStep = steps => { if (steps == 2) { cancellation.Cancel(); } } };
        using var loop = new DiffusionEngineLoop(Engine, maxBatchSize: 1, maxWaiting: 8, observer);
        loop.Start();

        var cancelled = loop.SubmitAsync(VideoEngineFixture.SmallClip() with { Steps = 50 }, cancellation.Token);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.WaitAsync(Timeout));
        var frames = new List<VideoFrame>();
        var next = await loop.SubmitAsync(VideoEngineFixture.SmallClip(), CancellationToken.None, frames.Add).WaitAsync(Timeout);

        Assert.True(observer.Steps.Count < 10, $"{observer.Steps.Count} steps ran");
        Assert.Equal(4, frames.Count);
        Assert.Equal((0, 0), await observer.SettledQueueAsync(Timeout));
    }

    [Theory]
    [InlineData(3, "multiple of the model's patch_size_t 2")]
    [InlineData(0, "multiple of the model's patch_size_t 2")]
    [InlineData(66, "multiple of the model's patch_size_t 2 in 2..64")]
    public void Validate_FramesNotAMultipleOfTheTemporalPatch_ThrowsNamingFrames(int frames, string expected)
    {
        var error = Assert.Throws<ArgumentException>(() => Engine.Validate(VideoEngineFixture.SmallClip() with { Frames = frames }));

        Assert.Contains($"Frames {frames}", error.Message);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void Validate_TwoImagesOfAClip_Throws()
    {
        var error = Assert.Throws<ArgumentException>(() => Engine.Validate(VideoEngineFixture.SmallClip() with { NumImages = 2 }));

        Assert.Contains("one clip", error.Message);
    }

    private sealed class ByteArrayComparer : IEqualityComparer<byte[]>
    {
        public static readonly ByteArrayComparer Instance = new();

        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(byte[] obj) => obj.Length;
    }
}
