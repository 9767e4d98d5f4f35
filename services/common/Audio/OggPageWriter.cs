using System.Buffers.Binary;

namespace Omni.Common.Audio;

/// <summary>
/// Writes one logical Ogg bitstream (RFC 3533), one packet per page: the capture pattern, flags, granule position,
/// serial number, page sequence, CRC-32 (polynomial 0x04C11DB7, as Ogg defines it) and lacing values.
/// </summary>
public sealed class OggPageWriter(Stream output, uint serial)
{
    private const byte BeginningOfStream = 0x02;
    private const byte EndOfStream = 0x04;
    private static readonly uint[] CrcTable = BuildCrcTable();
    private uint _sequence;

    /// <summary>Writes <paramref name="packet"/> as one page (at most 255 * 255 - 1 bytes).</summary>
    public void WritePage(ReadOnlySpan<byte> packet, long granulePosition, bool first = false, bool last = false)
    {
        var lacing = packet.Length / 255 + 1;
        if (lacing > 255)
        {
            throw new ArgumentException($"A packet of {packet.Length} bytes does not fit one Ogg page.", nameof(packet));
        }
        var page = new byte[27 + lacing + packet.Length];
        "OggS"u8.CopyTo(page);
        page[5] = (byte)((first ? BeginningOfStream : 0) | (last ? EndOfStream : 0));
        BinaryPrimitives.WriteInt64LittleEndian(page.AsSpan(6), granulePosition);
        BinaryPrimitives.WriteUInt32LittleEndian(page.AsSpan(14), serial);
        BinaryPrimitives.WriteUInt32LittleEndian(page.AsSpan(18), _sequence++);
        page[26] = (byte)lacing;
        for (var i = 0; i < lacing - 1; i++)
        {
            page[27 + i] = 255;
        }
        page[27 + lacing - 1] = (byte)(packet.Length % 255);
        packet.CopyTo(page.AsSpan(27 + lacing));
        BinaryPrimitives.WriteUInt32LittleEndian(page.AsSpan(22), Crc(page));
        output.Write(page);
    }

    /// <summary>The page's CRC (computed with its CRC field zero).</summary>
    public static uint Crc(ReadOnlySpan<byte> page)
    {
        uint crc = 0;
        for (var i = 0; i < page.Length; i++)
        {
            var value = i is >= 22 and < 26 ? (byte)0 : page[i];
            crc = (crc << 8) ^ CrcTable[((crc >> 24) & 0xFF) ^ value];
        }
        return crc;
    }

    private static uint[] BuildCrcTable()
    {
        var table = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            var r = i << 24;
            for (var bit = 0; bit < 8; bit++)
            {
                r = (r & 0x80000000) != 0 ? (r << 1) ^ 0x04C11DB7 : r << 1;
            }
            table[i] = r;
        }
        return table;
    }
}
