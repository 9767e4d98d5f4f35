using Omni.Contracts.V1;

namespace Omni.Orchestrator.OpenAi;

/// <summary>An OpenAI request converted: the pipeline's request, and how the door must shape its answer.</summary>
public sealed record OpenAiCall(OpenAiApi Api, GenerateRequest Request, string Model)
{
    /// <summary>Server-sent events, one chunk per text delta, then <c>data: [DONE]</c>.</summary>
    public bool Stream { get; init; }

    /// <summary><c>stream_options.include_usage</c>: a last chunk with the usage and no choices.</summary>
    public bool IncludeUsage { get; init; }

    /// <summary>Whether logprobs were asked for (chat: <c>logprobs: true</c>; completions: <c>logprobs: N</c>).</summary>
    public bool Logprobs => Request.Text is { HasLogprobs: true };

    /// <summary>vLLM's <c>return_token_ids</c> extension: the choice carries the generated token ids.</summary>
    public bool ReturnTokenIds { get; init; }

    /// <summary>Whether the client gets the text (chat's <c>modalities</c> without <c>text</c> give only the audio).</summary>
    public bool Text => Request.Outputs.Count == 0 || Request.Outputs.Contains(Modality.Text);

    /// <summary>Whether the client gets speech (chat's <c>modalities</c> with <c>audio</c>).</summary>
    public bool Audio => Request.Outputs.Contains(Modality.Audio);
}
