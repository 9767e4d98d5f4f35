using Grpc.Core;
using Omni.Contracts.V1;

namespace Omni.DiffusionStage.IntegrationTests;

/// <summary>The real stage process over real gRPC: outputs, negative prompts, validation, batching.</summary>
[Collection(DiffusionStageCollection.Name)]
public sealed class DiffusionStageProcessTests(DiffusionStageFixture fixture)
{
    private static readonly HttpClient Http = new();

    [Fact]
    public async Task Process_Images_LogNoNnpackWarning()
    {
        await StageCall.RunAsync(fixture.Client, StageCall.Header(StageCall.Small(steps: 1)), [StageCall.Tensor(StageCall.HiddenStates, 2, seed: 5)]);

        Assert.DoesNotContain("NNPACK", fixture.Service.Tail(2000), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Process_DefaultFormat_OnePngWithIndexZero()
    {
        var (images, final) = await StageCall.RunAsync(fixture.Client, StageCall.Header(StageCall.Small(seed: 5)),
            [StageCall.Tensor(StageCall.HiddenStates, 5, seed: 1)]);

        var image = Assert.Single(images);
        Assert.Equal("image/png", image.MimeType);
        Assert.Equal((0u, 5ul, 64u, 64u), (image.Index, image.Seed, image.Width, image.Height));
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], image.Data.Take(4));
        Assert.Equal(["preprocess", "exec", "postprocess"], final.Timings.Select(timing => timing.Name));
        Assert.All(final.Timings, timing => Assert.True(timing.Milliseconds > 0));
    }

    [Fact]
    public async Task Process_TwoImagesRgb8_RawImagesIndexedAndSeededWithSeedPlusIndex()
    {
        var image = StageCall.Small(seed: 40);
        image.NumImages = 2;
        image.OutputFormat = ImageFormat.Rgb8;

        var (images, _) = await StageCall.RunAsync(fixture.Client, StageCall.Header(image), [StageCall.Tensor(StageCall.HiddenStates, 4, seed: 2)]);

        Assert.Equal([0u, 1u], images.Select(i => i.Index));
        Assert.Equal([40ul, 41ul], images.Select(i => i.Seed));
        Assert.All(images, i =>
        {
            Assert.Equal("application/x-rgb8", i.MimeType);
            Assert.Equal(64 * 64 * 3, i.Data.Length);
        });
        Assert.NotEqual(images[0].Data, images[1].Data);
    }

    [Fact]
    public async Task Process_ConcurrentRequests_SameBytesAsOneAtATime()
    {
        var tensors = new[] { StageCall.Tensor(StageCall.HiddenStates, 6, seed: 3), StageCall.Tensor(StageCall.HiddenStates, 9, seed: 4) };
        var headers = new[] { StageCall.Header(StageCall.Small(steps: 4, seed: 7)), StageCall.Header(StageCall.Small(steps: 4, seed: 8)) };
        var alone = new List<byte[]>();
        for (var i = 0; i < 2; i++)
        {
            alone.Add((await StageCall.RunAsync(fixture.Client, headers[i], [tensors[i]])).Images[0].Data.ToByteArray());
        }

        var together = await Task.WhenAll(Enumerable.Range(0, 2).Select(i => StageCall.RunAsync(fixture.Client, headers[i], [tensors[i]])));

        Assert.Equal(alone[0], together[0].Images[0].Data.ToByteArray());
        Assert.Equal(alone[1], together[1].Images[0].Data.ToByteArray());
    }

    [Fact]
    public async Task Process_NegativePromptWithItsTensor_UsedForTheUnconditionalBranch()
    {
        var conditioning = StageCall.Tensor(StageCall.HiddenStates, 5, seed: 1);
        var image = StageCall.Small(seed: 3);
        image.GuidanceScale = 4f;
        image.OutputFormat = ImageFormat.Rgb8;
        var withNegative = image.Clone();
        withNegative.NegativePrompt = "blurry";

        var nullEmbedding = await StageCall.RunAsync(fixture.Client, StageCall.Header(image), [conditioning]);
        var negative = await StageCall.RunAsync(fixture.Client, StageCall.Header(withNegative),
            [conditioning, StageCall.Tensor(StageCall.NegativeHiddenStates, 3, seed: 9)]);

        Assert.NotEqual(nullEmbedding.Images[0].Data, negative.Images[0].Data);
    }

    [Fact]
    public async Task Process_NegativePromptWithoutItsTensor_InvalidArgumentNamingTheTensor()
    {
        var image = StageCall.Small();
        image.GuidanceScale = 3f;
        image.NegativePrompt = "blurry";

        var error = await Assert.ThrowsAsync<RpcException>(() => StageCall.RunAsync(fixture.Client, StageCall.Header(image),
            [StageCall.Tensor(StageCall.HiddenStates, 5, seed: 1)]));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains(StageCall.NegativeHiddenStates, error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Process_DdimTrailing_ReturnsAnImage()
    {
        var image = StageCall.Small();
        image.Scheduler = Scheduler.Ddim;
        image.TimestepSpacing = TimestepSpacing.Trailing;

        var (images, _) = await StageCall.RunAsync(fixture.Client, StageCall.Header(image), [StageCall.Tensor(StageCall.HiddenStates, 5, seed: 1)]);

        Assert.Single(images);
    }

    [Theory]
    [InlineData("shift")]
    [InlineData("num_images")]
    [InlineData("scheduler")]
    public async Task Process_OutOfBoundsImageParams_InvalidArgumentNamingTheField(string field)
    {
        var image = StageCall.Small();
        switch (field)
        {
            case "shift":
                image.Shift = 25f;
                break;
            case "num_images":
                image.NumImages = 5;
                break;
            default:
                image.Scheduler = (Scheduler)42;
                break;
        }

        var error = await Assert.ThrowsAsync<RpcException>(() => StageCall.RunAsync(fixture.Client, StageCall.Header(image),
            [StageCall.Tensor(StageCall.HiddenStates, 5, seed: 1)]));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.StartsWith($"image.{field} ", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Process_ConditioningWidthMismatch_InvalidArgumentNamingBothWidths()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => StageCall.RunAsync(fixture.Client, StageCall.Header(StageCall.Small()),
            [StageCall.Tensor(StageCall.HiddenStates, 5, seed: 1, width: 128)], width: 128));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("128", error.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("256", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_MoreRequestsThanTheBatch_ReportsRunningAndWaiting()
    {
        using var cancellation = new CancellationTokenSource();
        var image = StageCall.Small(steps: 200);
        var calls = Enumerable.Range(0, DiffusionStageFixture.MaxBatchSize + 2)
            .Select(i => StageCall.RunAsync(fixture.Client, StageCall.Header(image), [StageCall.Tensor(StageCall.HiddenStates, 4, seed: i)],
                cancellationToken: cancellation.Token))
            .ToList();

        var seen = false;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!seen && DateTime.UtcNow < deadline)
        {
            var exposition = await Http.GetStringAsync(fixture.Service.MetricsAddress);
            seen = Gauge(exposition, "vllm:num_requests_running") == DiffusionStageFixture.MaxBatchSize
                && Gauge(exposition, "vllm:num_requests_waiting") == 2;
        }
        await cancellation.CancelAsync();
        await Task.WhenAll(calls.Select(call => call.ContinueWith(_ => { }, TaskScheduler.Default)));

        Assert.True(seen, "running = max batch size and waiting = 2 were never reported together");
    }

    private static double Gauge(string exposition, string name) =>
        exposition.Split('\n')
            .Where(line => line.StartsWith(name + "{", StringComparison.Ordinal))
            .Select(line => double.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture))
            .DefaultIfEmpty(double.NaN)
            .First();
}
