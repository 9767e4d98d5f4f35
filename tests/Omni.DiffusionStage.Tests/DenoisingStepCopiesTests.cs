using Omni.Common.Torch;
using Omni.DiffusionStage.Engine;
using Omni.DiffusionStage.Scheduling;

namespace Omni.DiffusionStage.Tests;

/// <summary>
/// What a GPU punishes, held on the CPU (as the AR engine's HostCopiesTests and DeviceUploadsTests do): a denoising
/// step of any batch makes one upload (its timesteps and each row's, together) and copies nothing to the host; the
/// finished image is the request's one copy.
/// </summary>
[Collection(DefaultEngineCollection.Name)]
public sealed class DenoisingStepCopiesTests(DefaultEngineFixture fixture)
{
    private DiffusionEngine Engine => fixture.Engine;

    [Fact]
    public void Step_JobsAtDifferentTimesteps_OneUploadAndNoHostCopy()
    {
        var first = Engine.Prepare(DefaultEngineFixture.SmallRequest());
        var second = Engine.Prepare(DefaultEngineFixture.SmallRequest(conditioningSeed: 2) with { Sampler = SamplerKind.Ddim, GuidanceScale = 3f });
        try
        {
            Engine.Step([first]);
            var (uploads, copies) = (DeviceUploads.ThreadCount, HostCopies.ThreadCount);

            Engine.Step([first, second]);

            Assert.Equal((1L, 0L), (DeviceUploads.ThreadCount - uploads, HostCopies.ThreadCount - copies));
        }
        finally
        {
            first.Dispose();
            second.Dispose();
        }
    }

    [Fact]
    public void Finish_OneImage_OneHostCopy()
    {
        var job = Engine.Prepare(DefaultEngineFixture.SmallRequest() with { Steps = 1 });
        try
        {
            Engine.Step([job]);
            var copies = HostCopies.ThreadCount;

            Engine.Finish(job, null, CancellationToken.None);

            Assert.Equal(1L, HostCopies.ThreadCount - copies);
        }
        finally
        {
            job.Dispose();
        }
    }
}
