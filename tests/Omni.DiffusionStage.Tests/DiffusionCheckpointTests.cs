using Omni.DiffusionStage.Engine;
using Omni.DiffusionStage.Model;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace Omni.DiffusionStage.Tests;

public sealed class DiffusionCheckpointTests : IDisposable
{
    private readonly TempDirectory directory = new();

    public void Dispose() => directory.Dispose();

    [Fact]
    public void Load_SavedModel_ReproducesOutputs()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var original = new OmniDiffusionModel(TinyModel.Config);
        DiffusionCheckpoint.Save(original, directory.Path);

        using var loaded = DiffusionCheckpoint.Load(directory.Path, CPU);

        var latents = randn([1, 4, 8, 6], generator: new Generator(3));
        var conditioning = randn([1, 5, 24], generator: new Generator(4));
        var timesteps = tensor(new[] { 700f });
        var expected = original.Transformer.forward(latents, timesteps, original.Transformer.ProjectConditioning(conditioning));
        var actual = loaded.Transformer.forward(latents, timesteps, loaded.Transformer.ProjectConditioning(conditioning));
        Assert.True(expected.allclose(actual, rtol: 0, atol: 0));
        Assert.True(original.Decoder.forward(latents).allclose(loaded.Decoder.forward(latents), rtol: 0, atol: 0));
        Assert.True(original.NullConditioning.allclose(loaded.NullConditioning, rtol: 0, atol: 0));
    }

    [Fact]
    public void Load_SavedVideoModel_ReproducesItsVelocityOverAClip()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var original = new OmniDiffusionModel(TinyModel.Config with { ModelType = DiffusionModelConfig.VideoModelType, PatchSizeT = 2 });
        DiffusionCheckpoint.Save(original, directory.Path);

        using var loaded = DiffusionCheckpoint.Load(directory.Path, CPU);

        var latents = randn([1, 4, 4, 8, 6], generator: new Generator(3));
        var conditioning = randn([1, 5, 24], generator: new Generator(4));
        var timesteps = tensor(new[] { 700f });
        var expected = original.Transformer.forward(latents, timesteps, original.Transformer.ProjectConditioning(conditioning));
        var actual = loaded.Transformer.forward(latents, timesteps, loaded.Transformer.ProjectConditioning(conditioning));
        Assert.True(loaded.Config.IsVideo);
        Assert.Equal([1L, 4, 4, 8, 6], actual.shape);
        Assert.True(expected.allclose(actual, rtol: 0, atol: 0));
        Assert.Equal([32L, 4, 2, 2, 2], loaded.state_dict()["transformer.x_embedder.proj.weight"].shape);
    }

    [Fact]
    public void FromJson_ImageModelWithTemporalPatches_ThrowsNamingPatchSizeT()
    {
        var json = (TinyModel.Config with { PatchSizeT = 2 }).ToJson();

        var error = Assert.Throws<InvalidDataException>(() => DiffusionModelConfig.FromJson(json));

        Assert.Contains("patch_size_t is 2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EngineValidate_FramesForAnImageModel_ThrowsSayingItMakesNoVideo()
    {
        var modelDirectory = Path.Combine(directory.Path, "tiny-dit");
        using (var model = new OmniDiffusionModel(TinyModel.Config))
        {
            DiffusionCheckpoint.Save(model, modelDirectory);
        }
        using var engine = DiffusionEngine.Load(new DiffusionEngineOptions { ModelDirectory = modelDirectory, Device = "cpu" });

        var error = Assert.Throws<ArgumentException>(() => engine.Validate(new DiffusionRequest(new float[2 * 24], 2, 24) { Width = 64, Height = 64, Frames = 4 }));

        Assert.False(engine.IsVideo);
        Assert.Contains("makes no video", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WarmUp_ModelWhoseSizesAreMultiplesOf24_RunsAtTheSmallestItTakes()
    {
        // 64 is not a multiple of 8 x 3: a warm-up at 64x64 stopped such a stage at start.
        var modelDirectory = Path.Combine(directory.Path, "tiny-dit-patch3");
        using (var model = new OmniDiffusionModel(TinyModel.Config with { PatchSize = 3 }))
        {
            DiffusionCheckpoint.Save(model, modelDirectory);
        }
        using var engine = DiffusionEngine.Load(new DiffusionEngineOptions { ModelDirectory = modelDirectory, Device = "cpu" });
        using var loop = new DiffusionEngineLoop(engine, maxBatchSize: 1, maxWaiting: 1);
        loop.Start();

        var took = loop.WarmUp();

        Assert.Equal(24, engine.SizeMultiple);
        Assert.True(took > TimeSpan.Zero);
    }

    [Fact]
    public void Load_InsideCallersDisposeScope_ModelOutlivesTheScope()
    {
        using (var model = new OmniDiffusionModel(TinyModel.Config))
        {
            DiffusionCheckpoint.Save(model, directory.Path);
        }

        OmniDiffusionModel loaded;
        using (NewDisposeScope())
        {
            loaded = DiffusionCheckpoint.Load(directory.Path, CPU);
        }

        using (loaded)
        using (NewDisposeScope())
        using (no_grad())
        {
            var image = loaded.Decoder.forward(randn(1, 4, 2, 2));
            Assert.False(image.isnan().any().item<bool>());
        }
    }

    [Fact]
    public void Load_MisShapedTensor_ThrowsNamingTheTensor()
    {
        SaveTinyModelEditing(weights => weights["transformer.blocks.1.cross_attn.kv.weight"] = zeros(64, 31));

        var error = Assert.Throws<InvalidDataException>(() => DiffusionCheckpoint.Load(directory.Path, CPU));

        Assert.Contains("transformer.blocks.1.cross_attn.kv.weight", error.Message, StringComparison.Ordinal);
        Assert.Contains("[64, 31]", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_MissingTensor_ThrowsNamingTheTensor()
    {
        SaveTinyModelEditing(weights => weights.Remove("decoder.resnets.2.norm1.weight"));

        var error = Assert.Throws<InvalidDataException>(() => DiffusionCheckpoint.Load(directory.Path, CPU));

        Assert.Contains("decoder.resnets.2.norm1.weight", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_UnexpectedTensor_ThrowsNamingTheTensor()
    {
        SaveTinyModelEditing(weights => weights["transformer.extra_head.weight"] = zeros(2, 2));

        var error = Assert.Throws<InvalidDataException>(() => DiffusionCheckpoint.Load(directory.Path, CPU));

        Assert.Contains("transformer.extra_head.weight", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_HalfPrecisionWeights_ConvertedToFloat32()
    {
        using var scope = NewDisposeScope();
        var original = SaveTinyModelEditing(weights =>
        {
            foreach (var key in weights.Keys.ToArray())
            {
                weights[key] = weights[key].to(key.StartsWith("decoder.", StringComparison.Ordinal) ? bfloat16 : float16);
            }
        });

        using var loaded = DiffusionCheckpoint.Load(directory.Path, CPU);

        var parameter = loaded.state_dict()["transformer.final_layer.linear.weight"];
        Assert.Equal(ScalarType.Float32, parameter.dtype);
        Assert.True(parameter.allclose(original["transformer.final_layer.linear.weight"].to(float16).to(float32)));
    }

    [Fact]
    public void Load_ConfigWithOtherModelType_ThrowsInvalidDataException()
    {
        using (var model = new OmniDiffusionModel(TinyModel.Config))
        {
            DiffusionCheckpoint.Save(model, directory.Path);
        }

        var configPath = Path.Combine(directory.Path, DiffusionCheckpoint.ConfigFileName);
        File.WriteAllText(configPath, File.ReadAllText(configPath).Replace("omni-dit", "sd3", StringComparison.Ordinal));

        var error = Assert.Throws<InvalidDataException>(() => DiffusionCheckpoint.Load(directory.Path, CPU));
        Assert.Contains("model_type", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EngineLoad_ModelDirectory_NamedAfterTheDirectoryAndUsesItsWidth()
    {
        var modelDirectory = Path.Combine(directory.Path, "tiny-dit");
        using (var model = new OmniDiffusionModel(TinyModel.Config))
        {
            DiffusionCheckpoint.Save(model, modelDirectory);
        }

        using var engine = DiffusionEngine.Load(new DiffusionEngineOptions { ModelDirectory = modelDirectory, Device = "cpu" });
        var result = engine.Generate(
            new DiffusionRequest(new float[2 * 24], 2, 24) { Width = 64, Height = 64, Steps = 2, Format = ImageFormat.Rgb8 },
            null,
            CancellationToken.None);

        Assert.Equal("tiny-dit", engine.ModelName);
        Assert.Equal(24, engine.ConditioningWidth);
        Assert.Equal(64 * 64 * 3, result.Images[0].Data.Length);
    }

    /// <summary>Saves a random tiny model, rewrites its weights file through <paramref name="edit"/>; returns the original weights.</summary>
    private Dictionary<string, Tensor> SaveTinyModelEditing(Action<Dictionary<string, Tensor>> edit)
    {
        using (var model = new OmniDiffusionModel(TinyModel.Config))
        {
            DiffusionCheckpoint.Save(model, directory.Path);
        }

        var weightsPath = Path.Combine(directory.Path, DiffusionCheckpoint.WeightsFileName);
        var original = Safetensors.LoadStateDict(weightsPath);
        var edited = new Dictionary<string, Tensor>(original);
        edit(edited);
        Safetensors.SaveStateDict(weightsPath, edited);
        return original;
    }
}
