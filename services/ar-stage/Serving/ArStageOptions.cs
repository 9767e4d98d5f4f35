using System.ComponentModel.DataAnnotations;
using Omni.ArStage.Engine;
using Omni.Common.Hosting;

namespace Omni.ArStage.Serving;

/// <summary>The AR stage's model and engine settings, bound from the "Model" section (flags in <see cref="ArStageSwitches"/>).</summary>
public sealed class ArStageOptions : StageModelOptions
{
    /// <summary>The built-in model served when no ModelDirectory is given: Thinker (text) or Talker (speech codes).</summary>
    public BuiltInArModel BuiltInModel { get; set; } = BuiltInArModel.Thinker;

    /// <summary>float32, bfloat16 or float16 (weights, activations and KV cache).</summary>
    [Required, RegularExpression("^(float32|bfloat16|float16)$", ErrorMessage = "DType must be float32, bfloat16 or float16.")]
    public string DType { get; set; } = "float32";

    /// <summary>Tokens per KV cache block.</summary>
    [Range(1, 1024)]
    public int BlockSize { get; set; } = 16;

    /// <summary>KV cache blocks; 0 sizes the pool from <see cref="KvCacheMemoryFraction"/>.</summary>
    [Range(0, 10_000_000)]
    public int NumKvBlocks { get; set; }

    /// <summary>Fraction of the machine's memory for the KV pool when <see cref="NumKvBlocks"/> is 0.</summary>
    [Range(0.0001, 0.9)]
    public double KvCacheMemoryFraction { get; set; } = 0.02;

    /// <summary>With NumKvBlocks 0 on a GPU: the share of the device's memory the engine may fill (vLLM's --gpu-memory-utilization).</summary>
    [Range(0.01, 1.0)]
    public double GpuMemoryUtilization { get; set; } = 0.9;

    /// <summary>Sequences running at once.</summary>
    [Range(1, 4096)]
    public int MaxNumSeqs { get; set; } = 128;

    /// <summary>Tokens one engine step computes at most.</summary>
    [Range(1, 1_000_000)]
    public int MaxNumBatchedTokens { get; set; } = 2048;

    public bool EnablePrefixCaching { get; set; } = true;

    /// <summary>Same logprob bits alone and batched (on CPU), at a cost in batch-1 speed; see ArEngineOptions.</summary>
    public bool BatchInvariant { get; set; } = true;

    /// <summary>Decode steps as CUDA graphs on a CUDA device (off by default); see ArEngineOptions.</summary>
    public bool CudaGraphs { get; set; }

    /// <summary>libtorch threads per operation; 0 keeps libtorch's default (one per core).</summary>
    [Range(0, 1024)]
    public int TorchThreads { get; set; }
}
