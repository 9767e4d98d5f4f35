using System.Text.Json;
using Omni.Contracts.V1;

namespace Omni.Cli.Bench;

/// <summary>The kinds of request a workload mixes.</summary>
public enum RequestKind
{
    Text,
    Image,
    TextAndImage,

    /// <summary>Text and audio: the thinker's text streamed, and the talker and vocoder speaking it.</summary>
    Speech,
}

/// <summary>One request of a workload: its kind and what is sent.</summary>
public sealed record BenchRequest(int Index, RequestKind Kind, GenerateRequest Request);

/// <summary>
/// Draws a workload's requests from its options with a seeded generator: the same options and seed give the same
/// requests, in the same order, on any machine. Every request carries its own seed, so the answers are reproducible too.
/// </summary>
public sealed class WorkloadGenerator(WorkloadOptions options)
{
    private static readonly string[] Words =
    [
        "a", "quiet", "harbor", "at", "dawn", "with", "red", "boats", "and", "gulls", "over", "the", "water", "an", "old", "lighthouse",
        "stands", "on", "cliff", "while", "fog", "rolls", "in", "from", "sea", "painted", "in", "oil", "soft", "light", "mountains",
        "behind", "village", "street", "market", "stalls", "fruit", "children", "playing", "cat", "sleeping", "window", "rain", "city",
        "night", "neon", "signs", "reflecting", "wet", "pavement", "forest", "path", "autumn", "leaves", "river", "bridge", "stone",
    ];

    private readonly Random _random = new(unchecked((int)(options.Seed ^ (options.Seed >> 32))));
    private int _next;

    public BenchRequest Next()
    {
        var kind = DrawKind();
        var request = new GenerateRequest { Prompt = Prompt() };
        var seed = (ulong)_random.NextInt64(0, long.MaxValue);
        if (kind is RequestKind.Text or RequestKind.TextAndImage or RequestKind.Speech)
        {
            request.Outputs.Add(Modality.Text);
            request.Text = new TextParams { MaxTokens = (uint)Uniform(options.MaxTokens), Seed = seed };
        }
        if (kind is RequestKind.Image or RequestKind.TextAndImage)
        {
            request.Outputs.Add(Modality.Image);
            var side = (uint)options.ImageSizes[_random.Next(options.ImageSizes.Count)];
            request.Image = new ImageParams { Width = side, Height = side, NumInferenceSteps = (uint)Uniform(options.Steps), Seed = seed };
        }
        if (kind is RequestKind.Speech)
        {
            request.Outputs.Add(Modality.Audio);
            request.Audio = new AudioParams
            {
                MaxDurationSeconds = (float)UniformSeconds(options.AudioSeconds), ChunkFrames = (uint)options.ChunkFrames, Seed = seed,
            };
        }
        return new BenchRequest(_next++, kind, request);
    }

    /// <summary>Prompts from a JSONL file: each line an object with a "prompt" string.</summary>
    public static IReadOnlyList<string> ReadPrompts(string path)
    {
        var prompts = new List<string>();
        foreach (var (line, number) in File.ReadLines(path).Select((line, i) => (line, i + 1)).Where(entry => entry.line.Trim().Length > 0))
        {
            using var document = JsonDocument.Parse(line);
            prompts.Add(document.RootElement.TryGetProperty("prompt", out var prompt) && prompt.ValueKind == JsonValueKind.String
                ? prompt.GetString()!
                : throw new FormatException($"{path}:{number}: each line must be an object with a \"prompt\" string."));
        }
        return prompts.Count > 0 ? prompts : throw new FormatException($"{path} holds no prompts.");
    }

    private RequestKind DrawKind()
    {
        var (text, image, both, speech) = options.Mix;
        var total = text + image + both + speech;
        if (!(total > 0) || text < 0 || image < 0 || both < 0 || speech < 0)
        {
            throw new ArgumentException("The mix needs non-negative weights, at least one of them positive.");
        }
        var draw = _random.NextDouble() * total;
        return draw < text ? RequestKind.Text
            : draw < text + image ? RequestKind.Image
            : draw < text + image + both || speech == 0 ? RequestKind.TextAndImage
            : RequestKind.Speech;
    }

    private string Prompt()
    {
        if (options.Prompts is { Count: > 0 } prompts)
        {
            return prompts[_random.Next(prompts.Count)];
        }
        var count = Uniform(options.PromptWords);
        return string.Join(' ', Enumerable.Range(0, count).Select(_ => Words[_random.Next(Words.Length)]));
    }

    private int Uniform((int Min, int Max) range) => _random.Next(range.Min, range.Max + 1);

    /// <summary>Uniform in the range, to the millisecond.</summary>
    private double UniformSeconds((double Min, double Max) range) =>
        Math.Clamp(Math.Round(range.Min + _random.NextDouble() * (range.Max - range.Min), 3), range.Min, range.Max);
}
