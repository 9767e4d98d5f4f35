namespace Omni.ArStage.Engine;

/// <summary>How the engine's KV cache and scheduler are configured (vLLM's cache_config_info).</summary>
public sealed record KvCacheConfig(
    int BlockSize,
    int NumBlocks,
    string DType,
    bool PrefixCaching,
    int MaxNumSeqs,
    int MaxNumBatchedTokens,
    long BytesPerBlock);
