namespace Omni.ArStage.Model;

/// <summary>
/// One sequence's part of a forward pass: its tokens [<see cref="Start"/>, <see cref="Start"/> + <see cref="Count"/>)
/// of <see cref="Tokens"/> (positions equal indices), stored in the KV pool through <see cref="BlockTable"/>, which
/// covers every position up to the last new one. Positions before <see cref="Start"/> must already be in the pool.
/// Positions below <see cref="EmbeddingRows"/> take their input from <see cref="Embeddings"/> (row-major, the model's
/// hidden width) instead of their token's embedding.
/// </summary>
public readonly record struct ScheduledChunk(IReadOnlyList<int> Tokens, int Start, int Count, IReadOnlyList<int> BlockTable,
    float[]? Embeddings = null, int EmbeddingRows = 0);
