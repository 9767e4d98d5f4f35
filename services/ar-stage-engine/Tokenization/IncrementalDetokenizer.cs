namespace Omni.ArStage.Tokenization;

/// <summary>
/// Turns a stream of token ids into text deltas without ever splitting a character: a multi-byte UTF-8 sequence
/// cut across tokens decodes to U+FFFD until its last byte arrives, so output ending in U+FFFD is held back.
/// Follows vLLM's prefix/read offsets: each step decodes only the window from the last emitted boundary, which
/// keeps the cost per token constant and lets tokenizers that depend on the preceding token decode correctly.
/// Only the generated ids are decoded, which is exact for byte-level BPE such as GPT-2's.
/// </summary>
public sealed class IncrementalDetokenizer(ITextTokenizer tokenizer)
{
    private const char ReplacementCharacter = '\uFFFD';

    private readonly List<int> _ids = [];
    private int _prefixOffset;
    private int _readOffset;

    public IReadOnlyList<int> Ids => _ids;

    /// <summary>Adds a token and returns the text it completes (possibly empty while a character is incomplete).</summary>
    public string Push(int tokenId)
    {
        _ids.Add(tokenId);
        var prefixText = DecodeRange(_prefixOffset, _readOffset);
        var newText = DecodeRange(_prefixOffset, _ids.Count);
        if (newText.Length <= prefixText.Length || newText[^1] == ReplacementCharacter)
        {
            return "";
        }

        _prefixOffset = _readOffset;
        _readOffset = _ids.Count;
        return newText[prefixText.Length..];
    }

    /// <summary>Returns whatever is still held back (an incomplete character decodes to U+FFFD) and resets the window.</summary>
    public string Flush()
    {
        var prefixText = DecodeRange(_prefixOffset, _readOffset);
        var newText = DecodeRange(_prefixOffset, _ids.Count);
        _prefixOffset = _readOffset = _ids.Count;
        return newText.Length > prefixText.Length ? newText[prefixText.Length..] : "";
    }

    private string DecodeRange(int start, int end) =>
        end <= start ? "" : tokenizer.Decode(_ids.Skip(start).Take(end - start));
}
