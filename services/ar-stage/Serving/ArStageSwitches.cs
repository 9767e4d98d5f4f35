using Omni.Common.Hosting;

namespace Omni.ArStage.Serving;

/// <summary>The AR stage's command-line flags: the stage flags plus the engine's.</summary>
public static class ArStageSwitches
{
    public const string NoPrefixCaching = "--no-enable-prefix-caching";

    public static readonly IReadOnlyDictionary<string, string> All = new Dictionary<string, string>(StageDefaults.Switches.ToDictionary())
    {
        ["--builtin-model"] = "Model:BuiltInModel",
        ["--dtype"] = "Model:DType",
        ["--block-size"] = "Model:BlockSize",
        ["--num-kv-blocks"] = "Model:NumKvBlocks",
        ["--kv-cache-memory-fraction"] = "Model:KvCacheMemoryFraction",
        ["--gpu-memory-utilization"] = "Model:GpuMemoryUtilization",
        ["--max-num-seqs"] = "Model:MaxNumSeqs",
        ["--max-num-batched-tokens"] = "Model:MaxNumBatchedTokens",
        ["--enable-prefix-caching"] = "Model:EnablePrefixCaching",
        ["--torch-threads"] = "Model:TorchThreads",
        ["--batch-invariant"] = "Model:BatchInvariant",
        ["--cuda-graphs"] = "Model:CudaGraphs",
    };

    /// <summary>Rewrites vLLM's bare <c>--no-enable-prefix-caching</c> as <c>--enable-prefix-caching=false</c>.</summary>
    public static string[] Normalize(string[] args) =>
        [.. args.Select(arg => arg == NoPrefixCaching ? "--enable-prefix-caching=false" : arg)];
}
