namespace Omni.ArStage.Engine;

/// <summary>
/// Identifies the contents of one full KV block: the tokens it holds and the hash of everything before it (a hash
/// chain, so equal keys mean equal prefixes). Equality compares the tokens themselves, not only the hashes.
/// </summary>
internal sealed class BlockKey : IEquatable<BlockKey>
{
    private const ulong FnvPrime = 0x100000001B3UL;

    private readonly int[] _tokens;

    public BlockKey(ulong parentHash, int[] tokens)
    {
        ParentHash = parentHash;
        _tokens = tokens;
        var hash = parentHash ^ 0xCBF29CE484222325UL;
        foreach (var token in tokens)
        {
            hash = (hash ^ (uint)token) * FnvPrime;
        }

        // SplitMix64's finalizer spreads the bits, so chained hashes stay well distributed.
        hash = (hash ^ (hash >> 30)) * 0xBF58476D1CE4E5B9UL;
        hash = (hash ^ (hash >> 27)) * 0x94D049BB133111EBUL;
        Hash = hash ^ (hash >> 31);
    }

    /// <summary>The hash of the prefix up to and including this block; the parent hash of the next block.</summary>
    public ulong Hash { get; }

    public ulong ParentHash { get; }

    public bool Equals(BlockKey? other) =>
        other is not null && other.Hash == Hash && other.ParentHash == ParentHash && other._tokens.AsSpan().SequenceEqual(_tokens);

    public override bool Equals(object? obj) => Equals(obj as BlockKey);

    public override int GetHashCode() => (int)Hash ^ (int)(Hash >> 32);
}
