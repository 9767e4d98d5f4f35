using Omni.DiffusionStage.Engine;
using Omni.DiffusionStage.Scheduling;
using TorchSharp;

namespace Omni.DiffusionStage.Tests;

/// <summary>Per-request sampling options through the engine: images per request, schedulers, guidance branches.</summary>
[Collection(DefaultEngineCollection.Name)]
public sealed class DiffusionEngineSamplingTests(DefaultEngineFixture fixture)
{
    private DiffusionEngine Engine => fixture.Engine;

    [Fact]
    public void Generate_ThreeImages_ImageIEqualsASingleRunSeededWithSeedPlusI()
    {
        var request = DefaultEngineFixture.SmallRequest(seed: 40) with { Steps = 3, NumImages = 3 };

        var result = Engine.Generate(request, null, CancellationToken.None);

        Assert.Equal([0, 1, 2], result.Images.Select(image => image.Index));
        Assert.Equal([40ul, 41ul, 42ul], result.Images.Select(image => image.Seed));
        for (var i = 0; i < 3; i++)
        {
            var single = Engine.Generate(request with { NumImages = 1, Seed = 40ul + (ulong)i }, null, CancellationToken.None);
            Assert.Equal(single.Images[0].Data, result.Images[i].Data);
        }
    }

    [Fact]
    public void Generate_SeedAtMaximum_NextImageWrapsToZero()
    {
        var result = Engine.Generate(DefaultEngineFixture.SmallRequest(seed: ulong.MaxValue) with { Steps = 1, NumImages = 2 },
            null, CancellationToken.None);

        Assert.Equal([ulong.MaxValue, 0ul], result.Images.Select(image => image.Seed));
    }

    [Fact]
    public void Generate_Rgb8_ReportsRawMimeType()
    {
        var raw = Engine.Generate(DefaultEngineFixture.SmallRequest() with { Steps = 1, Format = ImageFormat.Rgb8 }, null, CancellationToken.None);
        var png = Engine.Generate(DefaultEngineFixture.SmallRequest() with { Steps = 1 }, null, CancellationToken.None);

        Assert.Equal("application/x-rgb8", raw.MimeType);
        Assert.Equal("image/png", png.MimeType);
    }

    [Fact]
    public void Generate_NegativeConditioningEqualToThePrompt_SameBytesAsUnguided()
    {
        // Both branches then see the same conditioning, so uncond + scale * (cond - uncond) is exactly uncond:
        // this checks that the negative tensor, not the null embedding, drives the unconditional branch.
        var request = DefaultEngineFixture.SmallRequest() with { Format = ImageFormat.Rgb8 };
        var negative = request with
        {
            GuidanceScale = 5f,
            NegativeConditioning = request.Conditioning,
            NegativeConditioningTokens = request.ConditioningTokens,
        };

        var unguided = Engine.Generate(request, null, CancellationToken.None);
        var guided = Engine.Generate(negative, null, CancellationToken.None);

        Assert.Equal(unguided.Images[0].Data, guided.Images[0].Data);
    }

    [Fact]
    public void Generate_NegativeConditioning_DiffersFromTheNullEmbedding()
    {
        var guided = DefaultEngineFixture.SmallRequest() with { GuidanceScale = 4f, Format = ImageFormat.Rgb8 };

        var withNull = Engine.Generate(guided, null, CancellationToken.None);
        var withNegative = Engine.Generate(guided with
        {
            NegativeConditioning = DefaultEngineFixture.Conditioning(3, 256, 9),
            NegativeConditioningTokens = 3,
        }, null, CancellationToken.None);

        Assert.NotEqual(withNull.Images[0].Data, withNegative.Images[0].Data);
    }

    [Fact]
    public void Generate_NegativeConditioningWithoutGuidance_Ignored()
    {
        var request = DefaultEngineFixture.SmallRequest() with { Format = ImageFormat.Rgb8 };

        var plain = Engine.Generate(request, null, CancellationToken.None);
        var withNegative = Engine.Generate(request with
        {
            NegativeConditioning = DefaultEngineFixture.Conditioning(3, 256, 9),
            NegativeConditioningTokens = 3,
        }, null, CancellationToken.None);

        Assert.Equal(plain.Images[0].Data, withNegative.Images[0].Data);
    }

    [Fact]
    public void Generate_NegativeConditioningOfWrongLength_ThrowsNamingIt()
    {
        var request = DefaultEngineFixture.SmallRequest() with
        {
            GuidanceScale = 2f,
            NegativeConditioning = new float[(2 * 256) - 1],
            NegativeConditioningTokens = 2,
        };

        var error = Assert.ThrowsAny<ArgumentException>(() => Engine.Generate(request, null, CancellationToken.None));

        Assert.Contains("Negative conditioning", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(TimestepSpacing.Leading)]
    [InlineData(TimestepSpacing.Trailing)]
    public void Generate_Ddim_ReproducibleAndDifferentFromFlowMatching(TimestepSpacing spacing)
    {
        var flow = DefaultEngineFixture.SmallRequest() with { Format = ImageFormat.Rgb8 };
        var ddim = flow with { Sampler = SamplerKind.Ddim, TimestepSpacing = spacing };

        var first = Engine.Generate(ddim, null, CancellationToken.None);
        var second = Engine.Generate(ddim, null, CancellationToken.None);
        var flowImage = Engine.Generate(flow, null, CancellationToken.None);

        Assert.Equal(first.Images[0].Data, second.Images[0].Data);
        Assert.NotEqual(flowImage.Images[0].Data, first.Images[0].Data);
        Assert.True(PixelStatistics.StandardDeviation(first.Images[0].Data) > 10);
    }

    [Fact]
    public void Generate_DdimLeadingAndTrailing_DifferentImages()
    {
        var ddim = DefaultEngineFixture.SmallRequest() with { Format = ImageFormat.Rgb8, Sampler = SamplerKind.Ddim };

        var leading = Engine.Generate(ddim, null, CancellationToken.None);
        var trailing = Engine.Generate(ddim with { TimestepSpacing = TimestepSpacing.Trailing }, null, CancellationToken.None);

        Assert.NotEqual(leading.Images[0].Data, trailing.Images[0].Data);
    }

    [Fact]
    public void Generate_Shift_ChangesTheImageAndDefaultsToTheCheckpoints()
    {
        var request = DefaultEngineFixture.SmallRequest() with { Format = ImageFormat.Rgb8 };

        var byDefault = Engine.Generate(request, null, CancellationToken.None);
        var checkpointShift = Engine.Generate(request with { Shift = Engine.Config.SchedulerShift }, null, CancellationToken.None);
        var shifted = Engine.Generate(request with { Shift = 3.0 }, null, CancellationToken.None);

        Assert.Equal(byDefault.Images[0].Data, checkpointShift.Images[0].Data);
        Assert.NotEqual(byDefault.Images[0].Data, shifted.Images[0].Data);
    }

    [Theory]
    [InlineData(0, null, "Image count")]
    [InlineData(5, null, "Image count")]
    [InlineData(1, 0.0, "Shift")]
    [InlineData(1, 21.0, "Shift")]
    public void Generate_OutOfRangeOptions_ThrowArgumentException(int numImages, double? shift, string named)
    {
        var request = DefaultEngineFixture.SmallRequest() with { NumImages = numImages, Shift = shift };

        var error = Assert.ThrowsAny<ArgumentException>(() => Engine.Generate(request, null, CancellationToken.None));

        Assert.Contains(named, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BatchedSteps_GuidedAndUnguidedJobs_LeaveNoLiveTensorsBehind()
    {
        var plain = DefaultEngineFixture.SmallRequest() with { Steps = 2 };
        var guided = DefaultEngineFixture.SmallRequest(conditioningSeed: 3) with
        {
            Steps = 3,
            GuidanceScale = 3f,
            NumImages = 2,
            Sampler = SamplerKind.Ddim,
            NegativeConditioning = DefaultEngineFixture.Conditioning(2, 256, 4),
            NegativeConditioningTokens = 2,
        };
        RunBatch(plain, guided);
        var before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;

        RunBatch(plain, guided);

        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }

    private void RunBatch(params DiffusionRequest[] requests)
    {
        var jobs = requests.Select(Engine.Prepare).ToList();
        try
        {
            while (jobs.Any(job => !job.IsDenoised))
            {
                Engine.Step(jobs.Where(job => !job.IsDenoised).ToList());
            }

            foreach (var job in jobs)
            {
                Engine.Finish(job, null, CancellationToken.None);
            }
        }
        finally
        {
            jobs.ForEach(job => job.Dispose());
        }
    }
}
