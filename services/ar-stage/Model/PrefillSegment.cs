using static TorchSharp.torch;

namespace Omni.ArStage.Model;

/// <summary>
/// A multi-token chunk of one sequence inside a <see cref="ForwardBatch"/>: rows [RowStart, RowStart + Count) of the
/// batch, at positions Past .. Past + Count - 1. <see cref="BlockIds"/> (null when Past is 0: the chunk attends only to
/// itself) lists the blocks holding positions 0 .. Past + Count - 1; <see cref="Mask"/> is the causal mask
/// [groups * Count, Past + Count] for queries folded by KV head group.
/// </summary>
public sealed record PrefillSegment(int RowStart, int Count, int Past, Tensor? BlockIds, Tensor Mask);
