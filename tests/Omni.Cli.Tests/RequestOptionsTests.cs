using System.CommandLine;
using Omni.Cli.Client;
using Omni.Cli.Commands;
using Omni.Contracts.V1;

namespace Omni.Cli.Tests;

public sealed class RequestOptionsTests
{
    [Fact]
    public void Build_VideoMp4File_VideoOutputInMp4()
    {
        var request = Build("--video", "out.mp4");

        Assert.Contains(Modality.Video, request.Outputs);
        Assert.Equal(VideoFormat.Mp4, request.Video.Format);
    }

    [Fact]
    public void Build_VideoRgbFile_RawFrames()
    {
        var request = Build("--video", "out.rgb");

        Assert.Equal(VideoFormat.Frames, request.Video.Format);
    }

    [Fact]
    public void Parse_VideoOtherExtension_UsageError()
    {
        var parse = Parse(new RequestOptions(), "--video", "out.gif");

        Assert.Contains(parse.Errors, error => error.Message.Contains("'.gif'", StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_MalformedVideoSize_UsageError()
    {
        var parse = Parse(new RequestOptions(), "--video-size", "128by128");

        Assert.Contains(parse.Errors, error => error.Message.Contains("--video-size", StringComparison.Ordinal));
    }

    [Fact]
    public void Build_VideoOptions_InTheVideoParams()
    {
        var request = Build("--video", "out.mp4", "--video-size", "192x64", "--video-frames", "24", "--video-fps", "12", "--video-steps", "5", "--seed", "7");

        Assert.Equal(new VideoParams { Width = 192, Height = 64, Frames = 24, Fps = 12, NumInferenceSteps = 5, Seed = 7, Format = VideoFormat.Mp4 },
            request.Video);
    }

    [Fact]
    public void Build_OutputsVideo_ServerDefaultsSeeded()
    {
        var request = Build("--outputs", "text", "video");

        Assert.Equal(new VideoParams { Seed = 42 }, request.Video);
    }

    [Fact]
    public void Build_NoVideo_NoVideoParams()
    {
        var request = Build();

        Assert.DoesNotContain(Modality.Video, request.Outputs);
        Assert.Null(request.Video);
    }

    [Fact]
    public void VideoParameters_DemoClipAndFrames_FramesOverridden()
    {
        var options = new RequestOptions();
        var parse = Parse(options, "--video-frames", "4");
        Assert.Empty(parse.Errors);

        var video = options.VideoParameters(parse, DemoCommand.Clip);

        Assert.Equal(new VideoParams { Width = 128, Height = 128, Frames = 4, Fps = 8, NumInferenceSteps = 10, Format = VideoFormat.Mp4 }, video);
    }

    [Fact]
    public void Build_WithoutTheVideoFileOption_NoVideo()
    {
        // omni demo leaves --video FILE out: its --video is the launcher's switch.
        var options = new RequestOptions();
        var command = new RootCommand();
        foreach (var option in options.All.Where(option => option != options.Video))
        {
            command.Options.Add(option);
        }

        var request = options.Build(command.Parse([]));

        Assert.Null(request.Video);
    }

    private static GenerateRequest Build(params string[] args)
    {
        var options = new RequestOptions();
        var parse = Parse(options, args);
        Assert.Empty(parse.Errors);
        return options.Build(parse);
    }

    private static ParseResult Parse(RequestOptions options, params string[] args)
    {
        var command = new RootCommand();
        foreach (var option in options.All)
        {
            command.Options.Add(option);
        }
        return command.Parse(args);
    }
}
