namespace Omni.ArStage.Tokenization;

/// <summary>Text to token ids and back. Implementations must be safe to use from several threads.</summary>
public interface ITextTokenizer
{
    /// <summary>Number of token ids the tokenizer can produce (special tokens included).</summary>
    int VocabularySize { get; }

    /// <summary>Ids that end a sequence (e.g. GPT-2's <c>&lt;|endoftext|&gt;</c>).</summary>
    IReadOnlyList<int> EosTokenIds { get; }

    int[] Encode(string text);

    /// <summary>
    /// Decodes ids to text. A byte sequence that is not valid UTF-8 (such as a character cut between tokens)
    /// decodes to U+FFFD; ids the tokenizer does not know decode to nothing.
    /// </summary>
    string Decode(IEnumerable<int> ids);

    /// <summary>
    /// The UTF-8 bytes <paramref name="id"/> decodes to (empty for ids that decode to nothing): the tokenizers are byte
    /// level, so <see cref="Decode"/> of any ids is the UTF-8 decoding of their bytes one after another, and text can
    /// be streamed a token at a time without decoding again what came before.
    /// </summary>
    ReadOnlySpan<byte> TokenBytes(int id);
}
