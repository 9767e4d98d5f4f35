namespace Omni.ArStage.Engine;

public sealed record ArEngineOptions
{
    /// <summary>A Hugging Face checkpoint directory; null loads the built-in default model.</summary>
    public string? ModelDirectory { get; init; }

    /// <summary>The built-in model loaded when <see cref="ModelDirectory"/> is null: the thinker (a text model) or the talker.</summary>
    public BuiltInArModel BuiltInModel { get; init; } = BuiltInArModel.Thinker;

    /// <summary>"auto" (CUDA when available, else CPU), "cpu", "cuda" or "cuda:N".</summary>
    public string Device { get; init; } = "auto";

    /// <summary>Cache root for the built-in model; null uses $OMNI_CACHE_DIR, else ~/.cache/omni/models.</summary>
    public string? CacheDirectory { get; init; }

    /// <summary>Reported model name; null uses the directory name, or "omni-ar-default" for the built-in model.</summary>
    public string? ModelName { get; init; }

    /// <summary>Weights, activations and KV cache: "float32", "bfloat16" or "float16".</summary>
    public string DType { get; init; } = "float32";

    /// <summary>Tokens per KV cache block.</summary>
    public int BlockSize { get; init; } = 16;

    /// <summary>Blocks in the KV pool; 0 sizes the pool from <see cref="KvCacheMemoryFraction"/>.</summary>
    public int NumKvBlocks { get; init; }

    /// <summary>With <see cref="NumKvBlocks"/> 0: the fraction of the machine's memory (CPU) the KV pool may take.</summary>
    public double KvCacheMemoryFraction { get; init; } = 0.02;

    /// <summary>
    /// With <see cref="NumKvBlocks"/> 0 on a GPU: the share of the device's memory the engine may fill (vLLM's
    /// --gpu-memory-utilization); the KV pool gets it less what is in use once the weights are loaded, less a 1 GiB reserve.
    /// </summary>
    public double GpuMemoryUtilization { get; init; } = 0.9;

    /// <summary>Sequences running at once (in one batch).</summary>
    public int MaxNumSeqs { get; init; } = 128;

    /// <summary>Tokens one engine step may compute (decodes plus prefill chunks).</summary>
    public int MaxNumBatchedTokens { get; init; } = 2048;

    /// <summary>Requests allowed to wait beyond the MaxNumSeqs that run: more than MaxNumSeqs + MaxWaiting in the engine are refused.</summary>
    public int MaxWaiting { get; init; } = 256;

    /// <summary>Share full KV blocks between sequences with identical prefixes.</summary>
    public bool EnablePrefixCaching { get; init; } = true;

    /// <summary>
    /// Compute every row the same way whatever else the batch holds, so that a request's logprobs have the same bits
    /// alone and batched (CPU; costs batch-1 speed, BENCHMARKS.md). Off, and always on CUDA: the plain operators and
    /// one attention call per layer and step, reproducible run to run for the same batches only.
    /// </summary>
    public bool BatchInvariant { get; init; } = true;

    /// <summary>
    /// Run decode steps as CUDA graphs on a CUDA device (<see cref="DecodeGraphs"/>; the opposite of vLLM's
    /// --enforce-eager): one host call per step instead of one per kernel. Off by default until a GPU run has checked
    /// the graphs' tokens against the eager path's; ignored on a CPU and with batch invariance.
    /// </summary>
    public bool CudaGraphs { get; init; }

    /// <summary>Threads libtorch uses for one operation (process-wide); 0 keeps libtorch's default.</summary>
    public int TorchThreads { get; init; }

    /// <summary>How often, at most, the engine loop reports its queues and cache usage while they do not change.</summary>
    public TimeSpan SchedulerStatsInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Null or empty: the model's own name rules (see <see cref="ModelName"/>).</summary>
    public string ResolveModelName() =>
        !string.IsNullOrWhiteSpace(ModelName) ? ModelName
        : ModelDirectory is null ? (BuiltInModel == BuiltInArModel.Talker ? Model.DefaultTalkerModel.Name : ArEngine.DefaultModelName)
        : new DirectoryInfo(Path.TrimEndingDirectorySeparator(Path.GetFullPath(ModelDirectory))).Name;
}

/// <summary>The AR engine's built-in seeded checkpoints.</summary>
public enum BuiltInArModel
{
    /// <summary>The default text model (omni-ar-default).</summary>
    Thinker,

    /// <summary>The default talker over the built-in vocoder's codes (omni-talker-default).</summary>
    Talker,
}
