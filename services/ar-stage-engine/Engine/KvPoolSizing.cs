namespace Omni.ArStage.Engine;

/// <summary>How many KV blocks the pool gets when --num-kv-blocks does not say.</summary>
internal static class KvPoolSizing
{
    /// <summary>Kept free on a GPU for the activations of a step (logits, attention, MLP) beside the pool.</summary>
    public const long ActivationReserveBytes = 1L << 30;

    /// <summary>
    /// vLLM's rule on a GPU (--gpu-memory-utilization): the process may fill <paramref name="utilization"/> of the device;
    /// the pool gets that share less what is in use when it is sized (the weights just loaded, and anything else on the
    /// device), less <see cref="ActivationReserveBytes"/>, and never more than is free. Zero when nothing is left.
    /// </summary>
    public static long DeviceBytes(long freeBytes, long totalBytes, double utilization) =>
        Math.Max(0, Math.Min(freeBytes, (long)(utilization * totalBytes) - (totalBytes - freeBytes)) - ActivationReserveBytes);

    /// <summary>The CPU's rule: a fraction of the machine's memory.</summary>
    public static long HostBytes(long availableBytes, double fraction) => (long)(availableBytes * fraction);

    /// <summary>Blocks that fit <paramref name="bytes"/>, capped at what max_num_seqs sequences of the model's full length could use; at least one.</summary>
    public static int Blocks(long bytes, long bytesPerBlock, int maxNumSeqs, int maxPositions, int blockSize)
    {
        var useful = (long)maxNumSeqs * ((maxPositions + blockSize - 1) / blockSize);
        return (int)Math.Clamp(Math.Min(bytes / bytesPerBlock, useful), 1, int.MaxValue);
    }
}
