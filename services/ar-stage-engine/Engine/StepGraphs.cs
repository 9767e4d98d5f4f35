using Omni.Common.Torch;
using static TorchSharp.torch;

namespace Omni.ArStage.Engine;

/// <summary>How an engine records its decode steps, if it does (<see cref="ArEngineOptions.CudaGraphs"/>), and why not.</summary>
internal sealed record StepGraphs(Func<Action, IStepGraph>? Capture, string Description)
{
    /// <param name="given">A recorder given in place of CUDA graphs (tests on a CPU).</param>
    public static StepGraphs For(ArEngineOptions options, Device device, bool batchInvariant, Func<Action, IStepGraph>? given)
    {
        if (batchInvariant)
        {
            return new StepGraphs(null, options.CudaGraphs || given is not null ? "off (batch invariance)" : "off");
        }
        if (given is not null)
        {
            return new StepGraphs(given, "on");
        }
        if (!options.CudaGraphs)
        {
            return new StepGraphs(null, "off");
        }
        if (CudaGraph.Unavailable(device) is { } reason)
        {
            return new StepGraphs(null, $"off ({reason})");
        }

        var pool = CudaGraph.NewPool(device);
        return new StepGraphs(body => CudaGraph.Capture(device, body, pool), "on");
    }
}
