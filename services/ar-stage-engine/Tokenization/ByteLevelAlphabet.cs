namespace Omni.ArStage.Tokenization;

/// <summary>
/// GPT-2's byte-level alphabet (<c>bytes_to_unicode</c>): byte-level BPE vocabularies write each byte as one printable
/// character, the printable bytes as themselves and the others as U+0100 onwards. Reading a vocabulary entry back
/// through it gives the bytes the token stands for.
/// </summary>
public static class ByteLevelAlphabet
{
    private static readonly Dictionary<char, byte> Bytes = Build();

    /// <summary>The bytes <paramref name="token"/> (a vocabulary entry) stands for; false if a character is not in the alphabet.</summary>
    public static bool TryGetBytes(string token, out byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(token);
        bytes = new byte[token.Length];
        for (var i = 0; i < token.Length; i++)
        {
            if (!Bytes.TryGetValue(token[i], out bytes[i]))
            {
                bytes = [];
                return false;
            }
        }

        return true;
    }

    private static Dictionary<char, byte> Build()
    {
        static bool Printable(int b) => b is >= '!' and <= '~' or >= '¡' and <= '¬' or >= '®' and <= 'ÿ';
        var map = new Dictionary<char, byte>(256);
        var next = 256;
        for (var b = 0; b < 256; b++)
        {
            map[(char)(Printable(b) ? b : next++)] = (byte)b;
        }

        return map;
    }
}
