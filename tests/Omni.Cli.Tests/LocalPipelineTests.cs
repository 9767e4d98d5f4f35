using Omni.Cli.Launching;

namespace Omni.Cli.Tests;

public sealed class LocalPipelineTests
{
    [Fact]
    public void StageAddressArgs_Video_OmniPipelineAndVideoAddress()
    {
        var args = LocalPipeline.StageAddressArgs(["http://ar"], ["http://diffusion"], ["http://talker", "http://code2wav"], ["http://video"], () => "/pipelines");

        Assert.Equal(Path.Combine("/pipelines", "omni.yaml"), args[args.IndexOf("--pipeline") + 1]);
        Assert.Equal("http://video", args[args.IndexOf("--video-address") + 1]);
        Assert.Equal("http://code2wav", args[args.IndexOf("--code2wav-address") + 1]);
    }

    [Fact]
    public void StageAddressArgs_SpeechOnly_SpeechPipelineNoVideoAddress()
    {
        var args = LocalPipeline.StageAddressArgs(["http://ar"], ["http://diffusion"], ["http://talker", "http://code2wav"], [], () => "/pipelines");

        Assert.Equal(Path.Combine("/pipelines", "speech.yaml"), args[args.IndexOf("--pipeline") + 1]);
        Assert.DoesNotContain("--video-address", args);
    }

    [Fact]
    public void StageAddressArgs_NeitherSpeechNorVideo_DefaultPipeline()
    {
        var args = LocalPipeline.StageAddressArgs(["http://ar"], ["http://diffusion"], [], [], () => throw new InvalidOperationException("not needed"));

        Assert.DoesNotContain("--pipeline", args);
    }

    [Fact]
    public void PipelineFile_VideoWithoutSpeech_Throws()
    {
        Assert.Throws<ArgumentException>(() => LocalPipeline.PipelineFile(speech: false, video: true));
    }

    [Fact]
    public async Task StartAsync_VideoWithoutSpeech_ThrowsBeforeStarting()
    {
        await Assert.ThrowsAsync<ArgumentException>(() =>
            LocalPipeline.StartAsync(new LocalPipelineOptions { Video = true, Speech = false }, CancellationToken.None));
    }
}
