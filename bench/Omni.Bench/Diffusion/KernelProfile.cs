using System.Diagnostics;
using System.Globalization;
using Omni.Bench.Measuring;
using Omni.DiffusionStage.Imaging;
using Omni.DiffusionStage.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Omni.Bench.Diffusion;

/// <summary>
/// Where a denoising step's time goes at batch 1 and 4, in this process on the built-in model: the whole denoiser
/// step and decoder, and the step's main kernels at its shapes, with 1 and 2 libtorch threads. Explains how much
/// batching can gain: per image, a kernel gains only as far as it runs faster on bigger inputs.
/// </summary>
internal static class KernelProfile
{
    private const int Repeats = 12;

    public static void Run(int width, int height, int tokens, bool quiet)
    {
        var threads = get_num_threads();
        var directory = DefaultDiffusionModel.EnsureCached(null);
        using var model = DiffusionCheckpoint.Load(directory, CPU);
        var config = model.Config;
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var generator = new Generator(1, CPU);
        var (latentHeight, latentWidth) = (height / config.VaeScaleFactor, width / config.VaeScaleFactor);
        var imageTokens = latentHeight / config.PatchSize * (latentWidth / config.PatchSize);
        var hidden = config.HiddenSize;
        var latents = randn([4, config.LatentChannels, latentHeight, latentWidth], generator: generator);
        var context = model.Transformer.ProjectConditioning(randn([4, tokens, config.ConditioningWidth], generator: generator));
        var timesteps = full([4], 500f);
        var x = randn([4, imageTokens, hidden], generator: generator);
        var inner = randn([4, imageTokens, config.MlpHiddenSize], generator: generator);
        var qkvWeight = randn([3 * hidden, hidden], generator: generator);
        var fc1Weight = randn([config.MlpHiddenSize, hidden], generator: generator);
        var fc2Weight = randn([hidden, config.MlpHiddenSize], generator: generator);
        var heads = x.view(4, imageTokens, config.NumHeads, config.HeadDim).transpose(1, 2).contiguous();
        var rgb = new byte[width * height * 3];
        new Random(1).NextBytes(rgb);

        List<(string Name, Func<int, Tensor?> Run)> rows =
        [
            Row("denoiser step (whole model)", b => model.Transformer.forward(latents.narrow(0, 0, b), timesteps.narrow(0, 0, b), context.narrow(0, 0, b))),
            Row("decoder (whole model)", b => model.Decoder.forward(latents.narrow(0, 0, b))),
            Row($"linear qkv [{imageTokens}x{hidden}]x[{hidden}x{3 * hidden}]", b => nn.functional.linear(x.narrow(0, 0, b), qkvWeight)),
            Row($"linear fc1 [{imageTokens}x{hidden}]x[{hidden}x{config.MlpHiddenSize}]", b => nn.functional.linear(x.narrow(0, 0, b), fc1Weight)),
            Row($"linear fc2 [{imageTokens}x{config.MlpHiddenSize}]x[{config.MlpHiddenSize}x{hidden}]", b => nn.functional.linear(inner.narrow(0, 0, b), fc2Weight)),
            Row($"self-attention sdpa ({config.NumHeads} heads x {imageTokens} tokens)", b => { var q = heads.narrow(0, 0, b); return nn.functional.scaled_dot_product_attention(q, q, q); }),
            Row("gelu (tanh) on the MLP activations", b => nn.functional.gelu(inner.narrow(0, 0, b), TorchSharp.Modules.GELU.Approximate.tanh)),
            Row("layer norm", b => nn.functional.layer_norm(x.narrow(0, 0, b), [hidden])),
            Row($"PNG encode {width}x{height} (per image, no torch)", b => { for (var i = 0; i < b; i++) { PngEncoder.Encode(rgb, width, height); } return null; }),
        ];

        Console.WriteLine();
        Console.WriteLine($"Kernel profile: built-in model, {width}x{height} ({imageTokens} image tokens), {tokens} conditioning tokens; " +
            $"best of {Repeats} runs, milliseconds per image; {LoadAverage.Uptime()}{(quiet ? "" : " (never quiet)")} at start.");
        Console.WriteLine();
        Console.WriteLine("| what | threads | batch 1 | batch 4 (per image) | batch 4 gain |");
        Console.WriteLine("|---|---:|---:|---:|---:|");
        foreach (var count in new[] { 1, 2 })
        {
            set_num_threads(count);
            foreach (var (name, run) in rows)
            {
                var one = Best(() => run(1));
                var four = Best(() => run(4)) / 4;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {count} | {one:F2} | {four:F2} | {one / four:F2}x |"));
            }
        }
        set_num_threads(threads);
    }

    private static (string Name, Func<int, Tensor?> Run) Row(string name, Func<int, Tensor?> run) => (name, run);

    private static double Best(Func<Tensor?> run)
    {
        run()?.Dispose();
        var best = double.MaxValue;
        for (var i = 0; i < Repeats; i++)
        {
            var clock = Stopwatch.StartNew();
            using (NewDisposeScope())
            {
                run();
            }
            best = Math.Min(best, clock.Elapsed.TotalMilliseconds);
        }
        return best;
    }
}
