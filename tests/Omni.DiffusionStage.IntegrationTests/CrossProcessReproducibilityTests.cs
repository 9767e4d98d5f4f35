using Grpc.Net.Client;
using Omni.Cli.Launching;
using Omni.Contracts.V1;

namespace Omni.DiffusionStage.IntegrationTests;

/// <summary>
/// Same seed and inputs give the same bytes in another process of the stage, which pins MKL's reproducibility
/// itself: it is started without MKL_CBWR in its environment.
/// </summary>
[Collection(DiffusionStageCollection.Name)]
public sealed class CrossProcessReproducibilityTests(DiffusionStageFixture fixture)
{
    [Theory]
    [InlineData(Scheduler.FlowMatchEuler)]
    [InlineData(Scheduler.Ddim)]
    public async Task Process_SameRequestInAnotherProcess_SameBytes(Scheduler scheduler)
    {
        var logs = Path.Combine(Path.GetTempPath(), $"omni-diffusion-repro-{Guid.NewGuid():N}");
        try
        {
            await CompareWithAnotherProcessAsync(scheduler, logs);
        }
        finally
        {
            Directory.Delete(logs, recursive: true);
        }
    }

    private async Task CompareWithAnotherProcessAsync(Scheduler scheduler, string logs)
    {
        var ports = FreePorts.Take(2);
        await using var other = ServiceProcess.Start(ServiceKind.DiffusionStage, ports[0], ports[1], stageId: 1, replicaId: 1,
            ["--stage-id", "1", "--replica-id", "1", "--device", "cpu"], logs, environment: new Dictionary<string, string?> { ["MKL_CBWR"] = null });
        await other.WaitHealthyAsync(TimeSpan.FromSeconds(120), CancellationToken.None);
        using var channel = GrpcChannel.ForAddress(other.GrpcAddress);
        var image = StageCall.Small(steps: 4, seed: 31);
        (image.Scheduler, image.GuidanceScale, image.OutputFormat) = (scheduler, 3f, ImageFormat.Rgb8);
        var conditioning = StageCall.Tensor(StageCall.HiddenStates, 7, seed: 5);

        var here = await StageCall.RunAsync(fixture.Client, StageCall.Header(image), [conditioning]);
        var there = await StageCall.RunAsync(new Stage.StageClient(channel), StageCall.Header(image), [conditioning]);

        Assert.Equal(here.Images[0].Data, there.Images[0].Data);
        Assert.Contains("MKL_CBWR=AUTO (pinned", await File.ReadAllTextAsync(other.LogPath));
    }

    /// <summary>Two video stage processes (one without MKL_CBWR) encode the same clip to the same MP4 bytes.</summary>
    [Fact]
    public async Task Process_SameClipInTwoVideoStageProcesses_SameMp4Bytes()
    {
        var logs = Path.Combine(Path.GetTempPath(), $"omni-video-repro-{Guid.NewGuid():N}");
        try
        {
            await using var first = StartVideoStage(logs, replicaId: 0, new Dictionary<string, string?>());
            await using var second = StartVideoStage(logs, replicaId: 1, new Dictionary<string, string?> { ["MKL_CBWR"] = null });
            await Task.WhenAll(first.WaitHealthyAsync(TimeSpan.FromSeconds(120), CancellationToken.None),
                second.WaitHealthyAsync(TimeSpan.FromSeconds(120), CancellationToken.None));
            using var firstChannel = GrpcChannel.ForAddress(first.GrpcAddress);
            using var secondChannel = GrpcChannel.ForAddress(second.GrpcAddress);
            var video = new VideoParams { Width = 64, Height = 64, Frames = 4, Fps = 4, NumInferenceSteps = 3, Seed = 17, GuidanceScale = 2f };
            var conditioning = StageCall.Tensor(StageCall.HiddenStates, 5, seed: 8);

            var here = await StageCall.RunVideoAsync(new Stage.StageClient(firstChannel), StageCall.VideoHeader(video), [conditioning]);
            var there = await StageCall.RunVideoAsync(new Stage.StageClient(secondChannel), StageCall.VideoHeader(video), [conditioning]);

            var bytes = here.Chunks.SelectMany(chunk => chunk.Data.ToByteArray()).ToArray();
            Assert.Equal("ftyp"u8.ToArray(), bytes[4..8]);
            Assert.Equal(bytes, there.Chunks.SelectMany(chunk => chunk.Data.ToByteArray()).ToArray());
        }
        finally
        {
            Directory.Delete(logs, recursive: true);
        }
    }

    private static ServiceProcess StartVideoStage(string logs, uint replicaId, Dictionary<string, string?> environment)
    {
        var ports = FreePorts.Take(2);
        return ServiceProcess.Start(ServiceKind.DiffusionStage, ports[0], ports[1], stageId: 4, replicaId: (int)replicaId,
            ["--stage-id", "4", "--replica-id", $"{replicaId}", "--device", "cpu", "--builtin-model", "video"], logs, environment: environment);
    }

    [Fact]
    public async Task Start_UsersOwnMklCbwr_HonouredAndLogged()
    {
        var logs = Path.Combine(Path.GetTempPath(), $"omni-diffusion-cbwr-{Guid.NewGuid():N}");
        var ports = FreePorts.Take(2);
        try
        {
            await using var stage = ServiceProcess.Start(ServiceKind.DiffusionStage, ports[0], ports[1], stageId: 1, replicaId: 2,
                ["--stage-id", "1", "--replica-id", "2", "--device", "cpu"], logs, environment: new Dictionary<string, string?> { ["MKL_CBWR"] = "COMPATIBLE" });
            await stage.WaitHealthyAsync(TimeSpan.FromSeconds(120), CancellationToken.None);

            Assert.Contains("Numerics: MKL_CBWR=COMPATIBLE (set by the user)", await File.ReadAllTextAsync(stage.LogPath));
        }
        finally
        {
            Directory.Delete(logs, recursive: true);
        }
    }
}
