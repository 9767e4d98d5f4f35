namespace Omni.ArStage.Tokenization;

/// <summary>
/// The "tokenizer" of a model whose vocabulary is not text (a talker's codec codes): it has no text to encode (such a
/// model takes its prompt as embeddings) and decodes every id to nothing, so no text is ever streamed from it.
/// </summary>
public sealed class CodeTokenizer(int vocabularySize, IReadOnlyList<int> endIds) : ITextTokenizer
{
    public int VocabularySize => vocabularySize;

    public IReadOnlyList<int> EosTokenIds => endIds;

    public int[] Encode(string text) =>
        throw new NotSupportedException("This model's vocabulary is codec codes, not text: give its prompt as embeddings or token ids.");

    public string Decode(IEnumerable<int> ids) => string.Empty;

    public ReadOnlySpan<byte> TokenBytes(int id) => [];
}
