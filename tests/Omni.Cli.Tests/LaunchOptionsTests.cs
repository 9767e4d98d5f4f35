using System.CommandLine;
using Omni.Cli.Commands;

namespace Omni.Cli.Tests;

public sealed class LaunchOptionsTests
{
    [Fact]
    public void Build_SpeechByDefault_SpeechAndVideo()
    {
        var launch = new LaunchOptions(speechByDefault: true);

        var options = launch.Build(Parse(launch), echo: null);

        Assert.True(options.Speech);
        Assert.True(options.Video);
    }

    [Fact]
    public void Build_BenchDefaults_NeitherSpeechNorVideo()
    {
        var launch = new LaunchOptions();

        var options = launch.Build(Parse(launch), echo: null);

        Assert.False(options.Speech);
        Assert.False(options.Video);
    }

    [Fact]
    public void Build_SpeechFalse_VideoFollowsItOff()
    {
        var launch = new LaunchOptions(speechByDefault: true);

        var options = launch.Build(Parse(launch, "--speech", "false"), echo: null);

        Assert.False(options.Speech);
        Assert.False(options.Video);
    }

    [Fact]
    public void Build_VideoFalse_SpeechOnly()
    {
        var launch = new LaunchOptions(speechByDefault: true);

        var options = launch.Build(Parse(launch, "--video", "false"), echo: null);

        Assert.True(options.Speech);
        Assert.False(options.Video);
    }

    [Fact]
    public void Build_VideoAndSpeechGiven_BothOn()
    {
        var launch = new LaunchOptions();

        var options = launch.Build(Parse(launch, "--speech", "--video"), echo: null);

        Assert.True(options.Speech);
        Assert.True(options.Video);
    }

    [Fact]
    public void Parse_VideoTrueSpeechFalse_UsageError()
    {
        var launch = new LaunchOptions(speechByDefault: true);

        var parse = Parse(launch, "--video", "true", "--speech", "false");

        Assert.Contains(parse.Errors, error => error.Message == LaunchOptions.VideoNeedsSpeech);
    }

    [Fact]
    public void Parse_VideoWithoutSpeechOnBench_UsageError()
    {
        var launch = new LaunchOptions();

        var parse = Parse(launch, "--video");

        Assert.Contains(parse.Errors, error => error.Message == LaunchOptions.VideoNeedsSpeech);
    }

    [Fact]
    public void Build_VideoTrueSpeechFalse_Throws()
    {
        var launch = new LaunchOptions(speechByDefault: true);

        var error = Assert.Throws<ArgumentException>(() => launch.Build(Parse(launch, "--video", "true", "--speech", "false"), echo: null));

        Assert.Equal(LaunchOptions.VideoNeedsSpeech, error.Message);
    }

    [Fact]
    public void Build_VideoModelDir_PassedOn()
    {
        var launch = new LaunchOptions(speechByDefault: true);

        var options = launch.Build(Parse(launch, "--video-model-dir", "/models/video"), echo: null);

        Assert.Equal("/models/video", options.VideoModelDirectory);
    }

    private static ParseResult Parse(LaunchOptions launch, params string[] args)
    {
        var command = new RootCommand();
        foreach (var option in launch.All)
        {
            command.Options.Add(option);
        }
        return command.Parse(args);
    }
}
