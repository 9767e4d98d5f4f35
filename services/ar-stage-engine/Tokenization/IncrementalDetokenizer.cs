using System.Text;

namespace Omni.ArStage.Tokenization;

/// <summary>
/// Turns a stream of token ids into text deltas without ever splitting a character: each token's bytes
/// (<see cref="ITextTokenizer.TokenBytes"/>) go through one UTF-8 decoder that keeps the start of a multi-byte character
/// cut across tokens until its last byte arrives. A token costs its own bytes, whatever came before (a window decoded
/// again per token, as vLLM's prefix/read offsets do, is what a tokenizer that is not byte level would need).
/// </summary>
public sealed class IncrementalDetokenizer(ITextTokenizer tokenizer)
{
    // Invalid bytes decode to U+FFFD, as ITextTokenizer.Decode does.
    private readonly Decoder _utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false).GetDecoder();

    /// <summary>Adds a token and returns the text it completes (possibly empty while a character is incomplete).</summary>
    public string Push(int tokenId) => Decode(tokenizer.TokenBytes(tokenId), flush: false);

    /// <summary>Returns whatever is still held back (an incomplete character decodes to U+FFFD) and starts afresh.</summary>
    public string Flush() => Decode([], flush: true);

    private string Decode(ReadOnlySpan<byte> bytes, bool flush)
    {
        // Up to three bytes of a character may wait in the decoder: at most one character more than the bytes given.
        Span<char> chars = bytes.Length < 256 ? stackalloc char[bytes.Length + 4] : new char[bytes.Length + 4];
        var count = _utf8.GetChars(bytes, chars, flush);
        return count == 0 ? "" : new string(chars[..count]);
    }
}
