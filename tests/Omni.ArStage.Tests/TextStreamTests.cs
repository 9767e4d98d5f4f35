using Omni.ArStage.Engine;
using Omni.ArStage.Tokenization;

namespace Omni.ArStage.Tests;

public sealed class TextStreamTests
{
    private readonly ITextTokenizer _tokenizer = Gpt2TextTokenizer.Instance;

    [Fact]
    public void Accept_EosToken_FinishesWithStopAndNoText()
    {
        var stream = new TextStream(_tokenizer, [], new HashSet<int> { Gpt2TextTokenizer.EndOfText });

        Assert.Equal(("Hello", null), stream.Accept(_tokenizer.Encode("Hello")[0], isLastAllowed: false));
        Assert.Equal(("", FinishReason.Stop), stream.Accept(Gpt2TextTokenizer.EndOfText, isLastAllowed: false));
    }

    [Fact]
    public void Accept_LastAllowedToken_ReleasesHeldBackTextWithLength()
    {
        var stream = new TextStream(_tokenizer, ["!?"], new HashSet<int>());
        var ids = _tokenizer.Encode("Hi!");

        Assert.Equal(("Hi", null), stream.Accept(ids[0], isLastAllowed: false));
        Assert.Equal(("!", FinishReason.Length), stream.Accept(ids[1], isLastAllowed: true));
    }
}
