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
