namespace Omni.Orchestrator.OpenAi;

/// <summary>The OpenAI endpoints the HTTP door serves with the pipeline.</summary>
public enum OpenAiApi
{
    ChatCompletions,
    Completions,
    ImageGenerations,

    /// <summary><c>POST /v1/videos/sync</c>: the clip's bytes as the response body, streamed as they are encoded.</summary>
    VideoGenerations,
}
