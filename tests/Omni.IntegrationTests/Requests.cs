using Omni.Contracts.V1;

namespace Omni.IntegrationTests;

/// <summary>Small, fast requests for the tests.</summary>
internal static class Requests
{
    public static GenerateRequest Text(string prompt = "The quick brown fox", uint maxTokens = 8, ulong seed = 7)
    {
        var request = new GenerateRequest { Prompt = prompt, Text = new TextParams { MaxTokens = maxTokens, Seed = seed } };
        request.Outputs.Add(Modality.Text);
        return request;
    }

    public static GenerateRequest Image(string prompt = "A red square", uint width = 64, uint height = 64, uint steps = 3, ulong seed = 11)
    {
        var request = new GenerateRequest
        {
            Prompt = prompt,
            Image = new ImageParams { Width = width, Height = height, NumInferenceSteps = steps, Seed = seed },
        };
        request.Outputs.Add(Modality.Image);
        return request;
    }

    /// <summary>Speech of a short answer: the thinker writes <paramref name="maxTokens"/> tokens, the talker at most <paramref name="seconds"/> of audio.</summary>
    public static GenerateRequest Audio(float seconds = 0.5f, uint chunkFrames = 5, ulong seed = 13, AudioFormat format = AudioFormat.PcmS16Le,
        uint maxTokens = 4, bool text = false)
    {
        var request = new GenerateRequest
        {
            Prompt = "Say something",
            Text = new TextParams { MaxTokens = maxTokens, Seed = seed },
            Audio = new AudioParams { MaxDurationSeconds = seconds, ChunkFrames = chunkFrames, Seed = seed, Format = format },
        };
        if (text)
        {
            request.Outputs.Add(Modality.Text);
        }
        request.Outputs.Add(Modality.Audio);
        return request;
    }

    /// <summary>A small clip: <paramref name="frames"/> frames of 64x64 in 2 steps, after a short answer.</summary>
    public static GenerateRequest Video(uint frames = 4, uint fps = 4, VideoFormat format = VideoFormat.Mp4, ulong seed = 19, uint steps = 2,
        uint width = 64, uint height = 64)
    {
        var request = new GenerateRequest
        {
            Prompt = "A short clip",
            Text = new TextParams { MaxTokens = 4, Seed = seed },
            Video = new VideoParams { Width = width, Height = height, Frames = frames, Fps = fps, NumInferenceSteps = steps, Seed = seed, Format = format },
        };
        request.Outputs.Add(Modality.Video);
        return request;
    }

    public static GenerateRequest Both(string prompt = "A small house", uint maxTokens = 6, ulong seed = 5)
    {
        var request = new GenerateRequest
        {
            Prompt = prompt,
            Text = new TextParams { MaxTokens = maxTokens, Seed = seed },
            Image = new ImageParams { Width = 64, Height = 64, NumInferenceSteps = 3, Seed = seed },
        };
        request.Outputs.Add(Modality.Text);
        request.Outputs.Add(Modality.Image);
        return request;
    }
}
