using System.Text.RegularExpressions;
using Omni.Testing;

namespace Omni.Common.Tests;

/// <summary>
/// A CPU pass is no proof for CUDA: a tensor created without a device lands on the CPU, and on a GPU it is either an
/// error (mixed devices) or a hidden copy. Held on the engines' sources: every host array enters the device through
/// <c>DeviceUploads</c> (counted, pinned), and a tensor factory called without a device, or a <c>.to(device)</c>
/// move, appears only where it is deliberate: at construction and load (the model moves once, whole) and for a
/// diffusion request's initial noise (drawn on the CPU for the same bytes on every device, then uploaded). A new one
/// fails this test by name until it is placed on the engine's device or added here with its reason.
/// </summary>
public sealed partial class EngineDevicePlacementTests
{
    private static readonly string[] EngineDirectories =
        ["services/ar-stage-engine", "services/diffusion-stage-engine", "services/code2wav-stage-engine", "services/engine-torch"];

    private static readonly HashSet<string> Deliberate =
    [
        // The one place host arrays become tensors.
        "services/engine-torch/DeviceUploads.cs: tensor(values)",
        "services/engine-torch/DeviceUploads.cs: tensor(values, shape)",
        "services/engine-torch/DeviceUploads.cs: .to(device)",
        // Parameters, created on the CPU and moved with the model after loading.
        "services/ar-stage-engine/Model/RmsNorm.cs: ones(size)",
        "services/diffusion-stage-engine/Model/OmniDiffusionModel.cs: zeros(1, config.ConditioningWidth)",
        "services/diffusion-stage-engine/Model/ChannelGroupNorm.cs: ones(numChannels)",
        "services/diffusion-stage-engine/Model/ChannelGroupNorm.cs: zeros(numChannels)",
        // Loading and seeded weights: host tensors copied into the parameters.
        "services/ar-stage-engine/Model/SafetensorsReader.cs: empty(entry.Shape, dtype: SafetensorsDType.ToScalarType(entry.DType))",
        "services/code2wav-stage-engine/Model/DefaultCode2WavModel.cs: zeros(shape)",
        "services/code2wav-stage-engine/Model/DefaultCode2WavModel.cs: randn(shape, generator: generator)",
        "services/diffusion-stage-engine/Model/DefaultDiffusionModel.cs: randn(shape, generator: generator)",
        "services/diffusion-stage-engine/Model/DefaultDiffusionModel.cs: ones(shape)",
        "services/diffusion-stage-engine/Model/DefaultDiffusionModel.cs: zeros(shape)",
        "services/ar-stage-engine/Model/CheckpointLoader.cs: .to(device)",
        "services/engine-torch/ModuleCheckpoint.cs: .to(device)",
        // The rotary frequencies, computed once in float32 as transformers does, then moved.
        "services/ar-stage-engine/Model/RotaryEmbedding.cs: arange(0, headDim, 2, dtype: ScalarType.Int64)",
        "services/ar-stage-engine/Model/RotaryEmbedding.cs: full([exponents.shape[0]], theta, dtype: ScalarType.Float32)",
        "services/ar-stage-engine/Model/RotaryEmbedding.cs: .to(device)",
        // A request's initial noise: the CPU generator gives the same bytes on every device (uploaded through DeviceUploads).
        "services/diffusion-stage-engine/Engine/DiffusionEngine.cs: randn(shape, generator: generator)",
    ];

    [Fact]
    public void EngineSources_TensorsWithoutADevice_OnlyWhereDeliberate()
    {
        var found = EngineDirectories
            .SelectMany(directory => Directory.EnumerateFiles(RepositoryPaths.Combine(directory), "*.cs", SearchOption.AllDirectories))
            .Where(path => !path.Contains("/bin/", StringComparison.Ordinal) && !path.Contains("/obj/", StringComparison.Ordinal))
            .SelectMany(path => HostPlacedCalls(Path.GetRelativePath(RepositoryPaths.Root, path), File.ReadAllText(path)))
            .ToHashSet();

        Assert.Empty(found.Except(Deliberate));
        Assert.Empty(Deliberate.Except(found));
    }

    [Fact]
    public void HostPlacedCalls_FactoryWithDeviceOnAnotherLine_NotReported()
    {
        const string source = "var a = zeros(rows,\n    dtype: ScalarType.Bool, device: device);\nvar b = ones(3);\nvar c = x.to(device);";

        Assert.Equal(["f.cs: ones(3)", "f.cs: .to(device)"], HostPlacedCalls("f.cs", source));
    }

    // Tensor factories whose arguments name no device, and moves to the device, with comments left out.
    private static List<string> HostPlacedCalls(string file, string source)
    {
        var code = Comment().Replace(source, "");
        var calls = new List<string>();
        foreach (Match match in Factory().Matches(code))
        {
            var open = match.Index + match.Length - 1;
            var close = ClosingParenthesis(code, open);
            var arguments = code[(open + 1)..close];
            if (!arguments.Contains("device", StringComparison.Ordinal))
            {
                calls.Add($"{file}: {match.Groups["name"].Value}({Whitespace().Replace(arguments, " ")})");
            }
        }
        calls.AddRange(Move().Matches(code).Select(_ => $"{file}: .to(device)"));
        return calls;
    }

    private static int ClosingParenthesis(string code, int open)
    {
        var depth = 0;
        for (var i = open; i < code.Length; i++)
        {
            depth += code[i] switch { '(' => 1, ')' => -1, _ => 0 };
            if (depth == 0)
            {
                return i;
            }
        }
        throw new InvalidOperationException($"Unbalanced parentheses after position {open}.");
    }

    [GeneratedRegex(@"(?<![\w.])(?:torch\.)?(?<name>tensor|zeros|ones|empty|full|arange|rand|randn|randint|eye|linspace)\(")]
    private static partial Regex Factory();

    [GeneratedRegex(@"\.to\((device|_device)\)")]
    private static partial Regex Move();

    [GeneratedRegex(@"//[^\n]*")]
    private static partial Regex Comment();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
