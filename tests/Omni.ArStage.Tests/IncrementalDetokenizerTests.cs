using Omni.ArStage.Tokenization;

namespace Omni.ArStage.Tests;

public sealed class IncrementalDetokenizerTests
{
    private readonly ITextTokenizer _tokenizer = Gpt2TextTokenizer.Instance;

    [Theory]
    [InlineData("😀")]
    [InlineData(" naïve café 日本語 🎉!")]
    public void Push_CharacterSplitAcrossByteTokens_NeverEmitsReplacementCharacter(string text)
    {
        var ids = _tokenizer.Encode(text);
        Assert.Contains(ids, id => _tokenizer.Decode([id]).Contains('\uFFFD'));
        var detokenizer = new IncrementalDetokenizer(_tokenizer);

        var deltas = ids.Select(detokenizer.Push).ToList();

        Assert.DoesNotContain(deltas, d => d.Contains('\uFFFD'));
        Assert.Equal(text, string.Concat(deltas) + detokenizer.Flush());
    }

    [Fact]
    public void Push_FirstHalfOfEmoji_HoldsTextBack()
    {
        var ids = _tokenizer.Encode("😀");
        var detokenizer = new IncrementalDetokenizer(_tokenizer);

        Assert.Equal("", detokenizer.Push(ids[0]));
        Assert.Equal("😀", detokenizer.Push(ids[1]));
    }

    [Fact]
    public void Flush_IncompleteCharacterAtEnd_ReturnsReplacementCharacter()
    {
        var ids = _tokenizer.Encode("a😀");
        var detokenizer = new IncrementalDetokenizer(_tokenizer);

        var emitted = string.Concat(ids.Take(ids.Length - 1).Select(detokenizer.Push));

        Assert.Equal("a", emitted);
        Assert.Equal("\uFFFD", detokenizer.Flush());
    }

    [Fact]
    public void TokenBytes_EveryGpt2Id_DecodeAsDecodeDoes()
    {
        Assert.All(Enumerable.Range(0, _tokenizer.VocabularySize),
            id => Assert.Equal(_tokenizer.Decode([id]), System.Text.Encoding.UTF8.GetString(_tokenizer.TokenBytes(id))));
    }

    [Fact]
    public void Push_EveryToken_TextIsTheDecodedText()
    {
        const string text = "Once upon a time, naïve café 日本語 🎉 <|endoftext|> and then 😀😀 the end.";
        var ids = _tokenizer.Encode(text);
        var detokenizer = new IncrementalDetokenizer(_tokenizer);

        var streamed = string.Concat(ids.Select(detokenizer.Push)) + detokenizer.Flush();

        Assert.Equal(_tokenizer.Decode(ids), streamed);
    }

    [Fact]
    public void Push_AfterFlush_NothingHeldBackFromBefore()
    {
        var ids = _tokenizer.Encode("😀");
        var detokenizer = new IncrementalDetokenizer(_tokenizer);
        detokenizer.Push(ids[0]);
        Assert.Equal("\uFFFD", detokenizer.Flush());

        Assert.Equal(("", "😀"), (detokenizer.Push(ids[0]), detokenizer.Push(ids[1])));
    }
}
