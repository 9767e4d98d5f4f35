using Omni.ArStage.Tokenization;

namespace Omni.ArStage.Engine;

/// <summary>
/// Turns sampled token ids into the text to emit and decides where the text ends: at a stop token such as
/// end-of-sequence (which adds no text), at a stop string (cut before it), or at the last token allowed.
/// <paramref name="silentTokenIds"/> (end-of-sequence ids when they are ignored) neither stop nor add text.
/// </summary>
internal sealed class TextStream(
    ITextTokenizer tokenizer, IReadOnlyList<string> stopStrings, IReadOnlySet<int> stopTokenIds, IReadOnlySet<int>? silentTokenIds = null)
{
    private readonly IncrementalDetokenizer _detokenizer = new(tokenizer);
    private readonly StopStringFilter _stopFilter = new(stopStrings);

    /// <summary>Returns the text <paramref name="tokenId"/> releases and, if generation ends with it, why.</summary>
    public (string Delta, FinishReason? Finish) Accept(int tokenId, bool isLastAllowed)
    {
        if (stopTokenIds.Contains(tokenId))
        {
            return Release(FinishReason.Stop);
        }

        var text = "";
        if (silentTokenIds?.Contains(tokenId) != true)
        {
            (text, var stopped) = _stopFilter.Push(_detokenizer.Push(tokenId));
            if (stopped)
            {
                return (text, FinishReason.Stop);
            }
        }

        if (!isLastAllowed)
        {
            return (text, null);
        }

        var (rest, finish) = Release(FinishReason.Length);
        return (text + rest, finish);
    }

    // Generation ends: release what the detokenizer and the stop filter held back, unless it completes a stop string.
    private (string Delta, FinishReason Finish) Release(FinishReason reason)
    {
        var (text, stopped) = _stopFilter.Push(_detokenizer.Flush());
        return stopped ? (text, FinishReason.Stop) : (text + _stopFilter.Flush(), reason);
    }
}
