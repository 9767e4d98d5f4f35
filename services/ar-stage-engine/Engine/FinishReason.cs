namespace Omni.ArStage.Engine;

public enum FinishReason
{
    /// <summary>An end-of-sequence token or a stop string ended the text, or only a prefill was asked for.</summary>
    Stop,

    /// <summary>MaxTokens tokens were generated.</summary>
    Length,

    /// <summary>The request was aborted before it finished.</summary>
    Abort,
}
