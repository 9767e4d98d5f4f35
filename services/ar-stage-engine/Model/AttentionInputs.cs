using static TorchSharp.torch;

namespace Omni.ArStage.Model;

/// <summary>What every attention layer of one forward pass shares: rotary angles of the rows, the batch layout and the KV pool.</summary>
public sealed record AttentionInputs(Tensor Cos, Tensor Sin, ForwardBatch Batch, KvBlockPool Pool);
