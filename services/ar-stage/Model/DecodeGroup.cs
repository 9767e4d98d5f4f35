using static TorchSharp.torch;

namespace Omni.ArStage.Model;

/// <summary>
/// Decode rows [RowStart, RowStart + Count) of a <see cref="ForwardBatch"/> whose contexts span the same number of KV
/// blocks, so they attend as one batch over keys of exactly that many blocks: a sequence's attention then has the
/// same shape, and the same bits, whichever other sequences share the step. <see cref="BlockIds"/> is
/// [Count * blocks] (each row's table in turn); <see cref="Mask"/> [Count, 1, 1, blocks * blockSize] hides the
/// unused tail of each row's last block.
/// </summary>
public sealed record DecodeGroup(int RowStart, int Count, Tensor BlockIds, Tensor Mask);
