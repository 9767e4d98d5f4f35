using System.Text.Json.Nodes;
using Omni.ArStage.Engine;
using Omni.ArStage.Tests.Support;
using Omni.ArStage.Tokenization;

namespace Omni.ArStage.Tests;

/// <summary>
/// tokenizer.json (byte-level BPE) on a small hand-made vocabulary: the 256 byte symbols (id = byte value), merges
/// that build "hello" and " the", and one special token, with GPT-2's and Qwen2's pre-tokenizer layouts.
/// </summary>
public sealed class HuggingFaceTokenizerTests : IDisposable
{
    private const string Qwen2Pattern =
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    private static readonly string[] Merges = ["l l", "e ll", "h ell", "hell o", "Ġ t", "h e", "Ġt he"];
    private const int Hello = 259;
    private const int SpaceThe = 262;
    private const int EndOfText = 263;

    private readonly TempDirectory _directory = new();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Encode_MergesAndBytes_GiveBpeIds(bool qwen2Layout)
    {
        var tokenizer = HuggingFaceTokenizer.Load(Write(qwen2Layout));

        Assert.Equal([Hello, SpaceThe, ' ', 'w', 'o', 'r', 'l', 'd'], tokenizer.Encode("hello the world"));
        Assert.Equal([0xC3, 0xA9], tokenizer.Encode("é"));
        Assert.Equal(EndOfText + 1, tokenizer.VocabularySize);
    }

    [Fact]
    public void Encode_SpecialTokenInText_GivesItsIdAndDecodeSkipsIt()
    {
        var tokenizer = HuggingFaceTokenizer.Load(Write(qwen2Layout: false));

        var ids = tokenizer.Encode("hi<|endoftext|>");

        Assert.Equal(['h', 'i', EndOfText], ids);
        Assert.Equal("hi", tokenizer.Decode(ids));
    }

    [Fact]
    public void Decode_CharacterSplitAcrossTokens_IncrementalDetokenizerNeverEmitsHalfOfIt()
    {
        var tokenizer = HuggingFaceTokenizer.Load(Write(qwen2Layout: true));
        var detokenizer = new IncrementalDetokenizer(tokenizer);

        Assert.Equal("\uFFFD", tokenizer.Decode([0xC3]));
        Assert.Equal("", detokenizer.Push(0xC3));
        Assert.Equal("é", detokenizer.Push(0xA9));
        Assert.Equal("hello", detokenizer.Push(Hello));
        Assert.Equal("hello the world é", tokenizer.Decode(tokenizer.Encode("hello the world é")));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TokenBytes_EveryId_DecodeAsDecodeDoes(bool qwen2Layout)
    {
        var tokenizer = HuggingFaceTokenizer.Load(Write(qwen2Layout));

        Assert.All(Enumerable.Range(0, tokenizer.VocabularySize),
            id => Assert.Equal(tokenizer.Decode([id]), System.Text.Encoding.UTF8.GetString(tokenizer.TokenBytes(id))));
        Assert.Equal([(byte)' ', (byte)'t', (byte)'h', (byte)'e'], tokenizer.TokenBytes(SpaceThe).ToArray());
        Assert.Empty(tokenizer.TokenBytes(EndOfText).ToArray());
    }

    [Fact]
    public void Load_EngineWithTokenizerJson_UsesIt()
    {
        foreach (var file in Directory.GetFiles(Fixtures.Qwen2TinyDirectory))
        {
            File.Copy(file, _directory.Combine(Path.GetFileName(file)));
        }

        Write(qwen2Layout: true);
        using var engine = ArEngine.Load(TestEngines.Qwen2TinyOptions with { ModelDirectory = _directory.Path });

        Assert.IsType<HuggingFaceTokenizer>(engine.Tokenizer);
        Assert.Equal(8, engine.CountTokens("hello the world"));
        var result = engine.Generate(new GenerationRequest("hello the world") { Temperature = 0, MaxTokens = 3 }, null, CancellationToken.None);
        Assert.Equal(3, result.CompletionTokens);
    }

    [Fact]
    public void Load_WordPieceModel_ThrowsNotSupported()
    {
        var path = _directory.Combine("tokenizer.json");
        File.WriteAllText(path, """{ "model": { "type": "WordPiece", "vocab": {} } }""");

        Assert.Throws<NotSupportedException>(() => HuggingFaceTokenizer.Load(path));
    }

    public void Dispose() => _directory.Dispose();

    private string Write(bool qwen2Layout)
    {
        var symbols = ByteSymbols();
        var vocab = new JsonObject();
        for (var b = 0; b < 256; b++)
        {
            vocab[symbols[b]] = b;
        }

        var id = 256;
        foreach (var merge in Merges)
        {
            vocab[merge.Replace(" ", "", StringComparison.Ordinal)] = id++;
        }

        JsonNode preTokenizer = qwen2Layout
            ? new JsonObject
            {
                ["type"] = "Sequence",
                ["pretokenizers"] = new JsonArray(
                    new JsonObject { ["type"] = "Split", ["pattern"] = new JsonObject { ["Regex"] = Qwen2Pattern }, ["behavior"] = "Isolated", ["invert"] = false },
                    new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = false, ["use_regex"] = false }),
            }
            : new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = true, ["use_regex"] = true };
        var root = new JsonObject
        {
            ["version"] = "1.0",
            ["added_tokens"] = new JsonArray(new JsonObject { ["id"] = EndOfText, ["content"] = "<|endoftext|>", ["special"] = true }),
            ["pre_tokenizer"] = preTokenizer,
            ["decoder"] = new JsonObject { ["type"] = "ByteLevel" },
            ["model"] = new JsonObject
            {
                ["type"] = "BPE",
                ["vocab"] = vocab,
                ["merges"] = new JsonArray(Merges.Select(m => (JsonNode?)JsonValue.Create(m)).ToArray()),
            },
        };
        var path = _directory.Combine("tokenizer.json");
        File.WriteAllText(path, root.ToJsonString());
        return path;
    }

    // GPT-2's bytes_to_unicode: printable bytes stand for themselves, the others for 256, 257, ... in byte order.
    private static string[] ByteSymbols()
    {
        var symbols = new string[256];
        var next = 256;
        for (var b = 0; b < 256; b++)
        {
            var printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            symbols[b] = ((char)(printable ? b : next++)).ToString();
        }

        return symbols;
    }
}
