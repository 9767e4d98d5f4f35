namespace Omni.ArStage.Engine;

public sealed record GenerationRequest(string Prompt)
{
    public int MaxTokens { get; init; } = 64;

    /// <summary>0 selects greedy decoding.</summary>
    public float Temperature { get; init; } = 1f;

    public float TopP { get; init; } = 1f;

    /// <summary>0 disables top-k filtering.</summary>
    public int TopK { get; init; }

    /// <summary>Seeds the request's own random generator, so a seeded request is reproducible; null picks a random seed.</summary>
    public ulong? Seed { get; init; }

    /// <summary>Generation ends (with <see cref="FinishReason.Stop"/>) before any of these strings would be emitted.</summary>
    public IReadOnlyList<string> StopStrings { get; init; } = [];

    /// <summary>False: run the prompt through the model (prefill) without generating tokens, e.g. for image-only requests.</summary>
    public bool GenerateText { get; init; } = true;

    public bool ReturnHiddenStates { get; init; }
}
