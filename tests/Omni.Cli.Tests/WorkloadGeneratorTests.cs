using Omni.Cli.Bench;
using Omni.Contracts.V1;

namespace Omni.Cli.Tests;

public sealed class WorkloadGeneratorTests
{
    [Fact]
    public void Next_SameSeed_SameRequests()
    {
        var options = new WorkloadOptions { Mix = (1, 1, 1, 1), Seed = 9 };
        var first = new WorkloadGenerator(options);
        var second = new WorkloadGenerator(options);

        for (var i = 0; i < 50; i++)
        {
            Assert.Equal(first.Next().Request, second.Next().Request);
        }
    }

    [Fact]
    public void Next_OtherSeed_OtherRequests()
    {
        var first = new WorkloadGenerator(new WorkloadOptions { Seed = 1 });
        var second = new WorkloadGenerator(new WorkloadOptions { Seed = 2 });

        Assert.NotEqual(first.Next().Request.Prompt, second.Next().Request.Prompt);
    }

    [Fact]
    public void Next_Mix_KindsInProportionToTheWeights()
    {
        var generator = new WorkloadGenerator(new WorkloadOptions { Mix = (3, 1, 0, 0), Seed = 4 });

        var kinds = Enumerable.Range(0, 4000).Select(_ => generator.Next().Kind).ToList();

        Assert.InRange(kinds.Count(kind => kind == RequestKind.Text) / 4000.0, 0.72, 0.78);
        Assert.DoesNotContain(RequestKind.TextAndImage, kinds);
    }

    [Fact]
    public void Next_Ranges_EveryDrawWithinItsRangeAndBothEndsReached()
    {
        var generator = new WorkloadGenerator(new WorkloadOptions
        {
            Mix = (0, 0, 1, 0), PromptWords = (3, 5), MaxTokens = (10, 12), ImageSizes = [64, 128], Steps = (2, 4), Seed = 5,
        });

        var requests = Enumerable.Range(0, 500).Select(_ => generator.Next().Request).ToList();

        Assert.Equal([3, 4, 5], requests.Select(request => request.Prompt.Split(' ').Length).Distinct().Order());
        Assert.Equal([10u, 11u, 12u], requests.Select(request => request.Text.MaxTokens).Distinct().Order());
        Assert.Equal([64u, 128u], requests.Select(request => request.Image.Width).Distinct().Order());
        Assert.Equal([2u, 3u, 4u], requests.Select(request => request.Image.NumInferenceSteps).Distinct().Order());
        Assert.All(requests, request => Assert.Equal([Modality.Text, Modality.Image], request.Outputs));
    }

    [Fact]
    public void Next_SpeechMix_TextAndAudioOutputs()
    {
        var generator = new WorkloadGenerator(new WorkloadOptions { Mix = (0, 0, 0, 1), Seed = 6 });

        var requests = Enumerable.Range(0, 20).Select(_ => generator.Next()).ToList();

        Assert.All(requests, request => Assert.Equal(RequestKind.Speech, request.Kind));
        Assert.All(requests, request => Assert.Equal([Modality.Text, Modality.Audio], request.Request.Outputs));
    }

    [Fact]
    public void Next_Speech_DurationWithinTheRangeAndBothEndsApproached()
    {
        var generator = new WorkloadGenerator(new WorkloadOptions { Mix = (0, 0, 0, 1), AudioSeconds = (2, 4), Seed = 7 });

        var durations = Enumerable.Range(0, 500).Select(_ => generator.Next().Request.Audio.MaxDurationSeconds).ToList();

        Assert.All(durations, duration => Assert.InRange(duration, 2f, 4f));
        Assert.InRange(durations.Min(), 2f, 2.05f);
        Assert.InRange(durations.Max(), 3.95f, 4f);
    }

    [Fact]
    public void Next_Speech_ChunkFramesAsGiven()
    {
        var generator = new WorkloadGenerator(new WorkloadOptions { Mix = (0, 0, 0, 1), ChunkFrames = 10, Seed = 7 });

        Assert.All(Enumerable.Range(0, 20).Select(_ => generator.Next().Request), request => Assert.Equal(10u, request.Audio.ChunkFrames));
    }

    [Fact]
    public void Next_Speech_AudioSeededWithTheRequestsSeed()
    {
        var generator = new WorkloadGenerator(new WorkloadOptions { Mix = (0, 0, 0, 1), Seed = 8 });

        var requests = Enumerable.Range(0, 20).Select(_ => generator.Next().Request).ToList();

        Assert.All(requests, request => Assert.True(request.Audio.HasSeed && request.Audio.Seed == request.Text.Seed));
        Assert.Equal(20, requests.Select(request => request.Audio.Seed).Distinct().Count());
    }

    [Fact]
    public void Next_MixWithoutSpeech_NoSpeechRequests()
    {
        var generator = new WorkloadGenerator(new WorkloadOptions { Mix = (1, 1, 1, 0), Seed = 3 });

        var requests = Enumerable.Range(0, 1000).Select(_ => generator.Next()).ToList();

        Assert.DoesNotContain(requests, request => request.Kind == RequestKind.Speech || request.Request.Audio is not null);
    }

    [Fact]
    public void ReadPrompts_JsonLines_EveryPrompt()
    {
        var path = Path.GetTempFileName();
        File.WriteAllLines(path, ["{\"prompt\": \"a cat\"}", "", "{\"prompt\": \"a dog\", \"other\": 1}"]);

        Assert.Equal(["a cat", "a dog"], WorkloadGenerator.ReadPrompts(path));
    }
}
