using Microsoft.ML.Tokenizers;

namespace Omni.ArStage.Tokenization;

/// <summary>GPT-2's byte-level BPE (50,257 ids, <c>&lt;|endoftext|&gt;</c> = 50256) via Microsoft.ML.Tokenizers.</summary>
public sealed class Gpt2TextTokenizer : ITextTokenizer
{
    public const int EndOfText = 50256;

    private static readonly Lazy<Gpt2TextTokenizer> SharedInstance = new(() => new Gpt2TextTokenizer());

    private readonly TiktokenTokenizer _tokenizer;

    private Gpt2TextTokenizer()
    {
        _tokenizer = TiktokenTokenizer.CreateForModel("gpt2");
    }

    /// <summary>The tokenizer is immutable and its vocabulary takes a while to build, so one instance is shared.</summary>
    public static Gpt2TextTokenizer Instance => SharedInstance.Value;

    public int VocabularySize => EndOfText + 1;

    public IReadOnlyList<int> EosTokenIds { get; } = [EndOfText];

    public int[] Encode(string text) => [.. _tokenizer.EncodeToIds(text)];

    public string Decode(IEnumerable<int> ids) => _tokenizer.Decode(ids);
}
