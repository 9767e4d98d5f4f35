using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Omni.Code2Wav.Model;

/// <summary>
/// The vocoder: code embedding, a causal convolution, causal upsampling stages with residual units, and a causal
/// convolution to one channel through tanh. Codes [batch, frames] (int64) in, samples [batch, frames * hop] out.
/// It computes in float64 (the checkpoint stays float32): libtorch picks its float32 convolution kernels by input
/// length, so a chunk and the whole sequence summed in different orders (differences of ~1e-6); in float64 those
/// differences are ~1e-15, below the one rounding to float32 at the end, so chunked decoding gives the whole
/// sequence's samples bit for bit (tested for chunks of 1 to 50 frames).
/// </summary>
public sealed class Code2WavModel : nn.Module<Tensor, Tensor>
{
    private readonly Embedding code_embedding;
    private readonly CausalConv1d input_conv;
    private readonly ModuleList<UpsampleStage> stages;
    private readonly CausalConv1d output_conv;

    public Code2WavModel(Code2WavConfig config) : base(nameof(Code2WavModel))
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        code_embedding = nn.Embedding(config.CodebookSize, config.EmbeddingDim);
        input_conv = new CausalConv1d(config.EmbeddingDim, config.EmbeddingDim, config.KernelSize);
        var channels = config.EmbeddingDim;
        var built = new List<UpsampleStage>();
        for (var i = 0; i < config.UpsampleRates.Length; i++)
        {
            built.Add(new UpsampleStage(channels, config.UpsampleChannels[i], config.UpsampleRates[i], config.KernelSize, config.ResidualDilations,
                config.LeakyReluSlope));
            channels = config.UpsampleChannels[i];
        }
        stages = nn.ModuleList(built.ToArray());
        output_conv = new CausalConv1d(channels, 1, config.KernelSize);
        RegisterComponents();
        this.to(ComputeType);
    }

    /// <summary>The precision the vocoder computes in (see the class remarks).</summary>
    public static ScalarType ComputeType => ScalarType.Float64;

    public Code2WavConfig Config { get; }

    /// <param name="codes">[batch, frames], int64 codes in [0, codebook_size).</param>
    public override Tensor forward(Tensor codes)
    {
        using var scope = NewDisposeScope();
        var hidden = input_conv.forward(code_embedding.forward(codes).transpose(1, 2));
        foreach (var stage in stages)
        {
            hidden = stage.forward(hidden);
        }
        var samples = tanh(output_conv.forward(nn.functional.leaky_relu(hidden, Config.LeakyReluSlope)));
        return scope.MoveToOuter(samples.squeeze(1));
    }
}
