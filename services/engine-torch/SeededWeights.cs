using static TorchSharp.torch;

namespace Omni.Common.Torch;

/// <summary>The deterministic weights of a built-in model: every parameter, in name order, drawn from one seeded generator.</summary>
public static class SeededWeights
{
    /// <param name="module">The freshly built model (CPU).</param>
    /// <param name="seed">The model's weight seed.</param>
    /// <param name="initialValue">A parameter's value from its checkpoint name, shape and the shared generator.</param>
    public static void Initialize(nn.Module module, ulong seed, Func<string, long[], Generator, Tensor> initialValue)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(initialValue);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var generator = new Generator(seed, CPU);
        foreach (var (name, parameter) in module.state_dict().OrderBy(entry => entry.Key, StringComparer.Ordinal))
        {
            parameter.copy_(initialValue(name, parameter.shape, generator));
        }
    }
}
