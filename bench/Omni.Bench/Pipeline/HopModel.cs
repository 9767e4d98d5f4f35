using Omni.ArStage.Model;
using Omni.ArStage.Tokenization;

namespace Omni.Bench.Pipeline;

/// <summary>
/// The AR model the hop measurement runs: one layer of width 64 and the byte-level vocabulary, so that a one-token
/// request costs the stage about a millisecond instead of the default model's ten (its 50,257-row vocabulary
/// projection), and the hop's few hundred microseconds are not lost in the model's own variation.
/// </summary>
internal static class HopModel
{
    public static TransformerConfig Config { get; } = WideModels.ArConfig with { HiddenSize = 64 };

    public static string EnsureWritten(string? cacheDirectory)
    {
        var directory = Path.Combine(DefaultModel.ResolveCacheRoot(cacheDirectory), "ar-bench-hop-v1");
        if (!File.Exists(Path.Combine(directory, HuggingFaceTokenizer.FileName)))
        {
            Console.Error.WriteLine($"  writing the hop's AR model to {directory}");
            DefaultModel.WriteSeeded(directory, Config, DefaultModel.Seed + 300);
            File.WriteAllText(Path.Combine(directory, HuggingFaceTokenizer.FileName), ByteLevelTokenizer.Json());
        }
        return directory;
    }
}
