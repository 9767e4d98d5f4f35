namespace Omni.Orchestrator.OpenAi;

/// <summary>The OpenAI endpoints the HTTP door serves with the pipeline.</summary>
public enum OpenAiApi
{
    ChatCompletions,
    Completions,
    ImageGenerations,
}
