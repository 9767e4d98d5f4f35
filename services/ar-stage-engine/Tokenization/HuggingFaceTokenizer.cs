using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace Omni.ArStage.Tokenization;

/// <summary>
/// A byte-level BPE tokenizer read from a Hugging Face <c>tokenizer.json</c> (GPT-2, Llama 3, Qwen2 style): the
/// model's vocabulary and merges, the pre-tokenizer's split pattern (or GPT-2's when the byte-level pre-tokenizer
/// splits by itself) and the added tokens, run by Microsoft.ML.Tokenizers' BPE. Special tokens in the text encode to
/// their ids; decoding skips them, as vLLM does by default.
/// </summary>
public sealed class HuggingFaceTokenizer : ITextTokenizer
{
    public const string FileName = "tokenizer.json";

    /// <summary>The split pattern of GPT-2's byte-level pre-tokenizer (<c>use_regex: true</c>).</summary>
    public const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    private readonly BpeTokenizer _tokenizer;
    private readonly byte[][] _tokenBytes;

    private HuggingFaceTokenizer(BpeTokenizer tokenizer, int vocabularySize, IReadOnlyList<int> eosTokenIds, byte[][] tokenBytes)
    {
        _tokenizer = tokenizer;
        VocabularySize = vocabularySize;
        EosTokenIds = eosTokenIds;
        _tokenBytes = tokenBytes;
    }

    public int VocabularySize { get; }

    /// <summary>Empty: a tokenizer.json does not say which token ends a sequence (config.json does).</summary>
    public IReadOnlyList<int> EosTokenIds { get; }

    public static HuggingFaceTokenizer Load(string path)
    {
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            return Parse(document.RootElement);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"Cannot read tokenizer '{path}': {e.Message}", e);
        }
    }

    public int[] Encode(string text) => [.. _tokenizer.EncodeToIds(text)];

    public string Decode(IEnumerable<int> ids) => _tokenizer.Decode(ids, considerSpecialTokens: false);

    public ReadOnlySpan<byte> TokenBytes(int id) => (uint)id < (uint)_tokenBytes.Length ? _tokenBytes[id] : [];

    private static HuggingFaceTokenizer Parse(JsonElement root)
    {
        var model = root.GetProperty("model");
        var type = model.TryGetProperty("type", out var t) ? t.GetString() : "BPE";
        if (type != "BPE")
        {
            throw new NotSupportedException($"tokenizer.json model type '{type}' is not supported (expected BPE).");
        }

        if (!IsByteLevel(root))
        {
            throw new NotSupportedException("Only byte-level BPE tokenizers (a ByteLevel pre-tokenizer or decoder) are supported.");
        }

        var vocabulary = model.GetProperty("vocab").EnumerateObject().Select(p => new KeyValuePair<string, int>(p.Name, p.Value.GetInt32())).ToList();
        var merges = model.GetProperty("merges").EnumerateArray().Select(merge => merge.ValueKind == JsonValueKind.Array
            ? $"{merge[0].GetString()} {merge[1].GetString()}"
            : merge.GetString() ?? throw new FormatException("A merge is null.")).ToList();
        var special = new Dictionary<string, int>(StringComparer.Ordinal);
        if (root.TryGetProperty("added_tokens", out var added) && added.ValueKind == JsonValueKind.Array)
        {
            foreach (var token in added.EnumerateArray())
            {
                special[token.GetProperty("content").GetString()!] = token.GetProperty("id").GetInt32();
            }
        }

        var pattern = SplitPattern(root) ?? Gpt2Pattern;
        var tokenizer = BpeTokenizer.Create(new BpeOptions(vocabulary)
        {
            Merges = merges,
            ByteLevel = true,
            SpecialTokens = special,
            PreTokenizer = new RegexPreTokenizer(new Regex(pattern, RegexOptions.Compiled), special),
        });
        var size = Math.Max(vocabulary.Max(v => v.Value), special.Count > 0 ? special.Values.Max() : 0) + 1;
        // The vocabulary's entries through the byte-level alphabet; added tokens decode to nothing (Decode skips them).
        var tokenBytes = new byte[size][];
        Array.Fill(tokenBytes, []);
        var addedIds = special.Values.ToHashSet();
        foreach (var (token, id) in vocabulary)
        {
            if (!addedIds.Contains(id) && ByteLevelAlphabet.TryGetBytes(token, out var bytes))
            {
                tokenBytes[id] = bytes;
            }
        }
        return new HuggingFaceTokenizer(tokenizer, size, [], tokenBytes);
    }

    private static bool IsByteLevel(JsonElement root) =>
        Components(root, "pre_tokenizer").Concat(Components(root, "decoder")).Any(c => TypeOf(c) == "ByteLevel");

    // The Split pre-tokenizer's regex (Llama 3, Qwen2); null when only the ByteLevel pre-tokenizer splits (GPT-2).
    private static string? SplitPattern(JsonElement root)
    {
        foreach (var component in Components(root, "pre_tokenizer"))
        {
            if (TypeOf(component) == "Split" && component.TryGetProperty("pattern", out var pattern) && pattern.TryGetProperty("Regex", out var regex))
            {
                return regex.GetString();
            }
        }

        return null;
    }

    private static IEnumerable<JsonElement> Components(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var component) || component.ValueKind != JsonValueKind.Object)
        {
            return [];
        }

        return TypeOf(component) == "Sequence" && component.TryGetProperty(name == "decoder" ? "decoders" : "pretokenizers", out var list)
            ? list.EnumerateArray().ToArray()
            : [component];
    }

    private static string? TypeOf(JsonElement component) =>
        component.TryGetProperty("type", out var type) ? type.GetString() : null;
}
