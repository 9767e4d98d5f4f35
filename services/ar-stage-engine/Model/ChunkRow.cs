namespace Omni.ArStage.Model;

/// <summary>A row of a <see cref="ForwardBatch"/> named by its chunk (in the order given) and its offset in that chunk.</summary>
public readonly record struct ChunkRow(int Chunk, int Offset);
