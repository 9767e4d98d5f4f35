using static TorchSharp.torch;

namespace Omni.ArStage.Model;

/// <summary>What every attention layer of one forward pass shares: rotary angles of the new tokens and the cache.</summary>
public sealed record AttentionInputs(Tensor Cos, Tensor Sin, KvCache? Cache);
