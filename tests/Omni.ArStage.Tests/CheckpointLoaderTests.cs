using Omni.ArStage.Model;
using Omni.ArStage.Tests.Support;
using static TorchSharp.torch;

namespace Omni.ArStage.Tests;

public sealed class CheckpointLoaderTests
{
    private static readonly int[] Ids = [1, 2, 3, 200, 17, 5];

    [Fact]
    public void Load_SavedCheckpoint_GivesSameLogits()
    {
        using var directory = new TempDirectory();
        using var original = TestModels.CreateSeeded(TestModels.SmallQwen2(), seed: 3);
        CheckpointWriter.Save(original, directory.Path);

        using var loaded = CheckpointLoader.Load(directory.Path, CPU);

        Assert.Equal(original.Config.ToJson(), loaded.Config.ToJson());
        Assert.Equal(0.0, TestModels.MaxAbsDifference(TestModels.FullForwardLogits(original, Ids), TestModels.FullForwardLogits(loaded, Ids)));
    }

    [Fact]
    public void Load_GenerationConfigWithMoreEosIds_TheModelStopsOnEveryOne()
    {
        using var directory = new TempDirectory();
        using var original = TestModels.CreateSeeded(TestModels.SmallQwen2() with { EosTokenIds = [5] }, seed: 3);
        CheckpointWriter.Save(original, directory.Path);
        File.WriteAllText(Path.Combine(directory.Path, CheckpointLoader.GenerationConfigFileName), """{ "eos_token_id": [5, 7], "do_sample": true }""");

        using var loaded = CheckpointLoader.Load(directory.Path, CPU);

        Assert.Equal([5, 7], loaded.Config.EosTokenIds);
    }

    [Fact]
    public void Load_MisShapedTensor_ThrowsNamingTheTensorAndShapes()
    {
        using var directory = SaveModifiedCheckpoint(tensors =>
            tensors["model.layers.0.self_attn.q_proj.weight"] = zeros(64, 32));

        var error = Assert.Throws<InvalidDataException>(() => CheckpointLoader.Load(directory.Path, CPU));

        Assert.Equal("Tensor 'model.layers.0.self_attn.q_proj.weight' has shape [64, 32] but the model expects [64, 64].", error.Message);
    }

    [Fact]
    public void Load_MissingTensor_ThrowsNamingTheTensor()
    {
        using var directory = SaveModifiedCheckpoint(tensors => tensors.Remove("model.layers.1.mlp.up_proj.weight"));

        var error = Assert.Throws<InvalidDataException>(() => CheckpointLoader.Load(directory.Path, CPU));

        Assert.Contains("'model.layers.1.mlp.up_proj.weight'", error.Message);
        Assert.Contains("missing", error.Message);
    }

    [Fact]
    public void Load_UnexpectedTensor_ThrowsNamingTheTensor()
    {
        using var directory = SaveModifiedCheckpoint(tensors => tensors["model.layers.0.self_attn.o_proj.bias"] = zeros(64));

        var error = Assert.Throws<InvalidDataException>(() => CheckpointLoader.Load(directory.Path, CPU));

        Assert.Contains("'model.layers.0.self_attn.o_proj.bias'", error.Message);
        Assert.Contains("unexpected", error.Message);
    }

    [Fact]
    public void Load_Bfloat16Weights_ConvertsToFloat32()
    {
        using var original = TestModels.CreateSeeded(TestModels.SmallQwen2(), seed: 5);
        using var directory = SaveModifiedCheckpoint(tensors =>
        {
            foreach (var name in tensors.Keys.ToList())
            {
                tensors[name] = tensors[name].to(ScalarType.BFloat16);
            }
        });

        using var loaded = CheckpointLoader.Load(directory.Path, CPU);

        Assert.All(loaded.parameters(), p => Assert.Equal(ScalarType.Float32, p.dtype));
        // bfloat16 keeps 8 bits of mantissa; the logits stay close to the float32 model's, not equal.
        var difference = TestModels.MaxAbsDifference(TestModels.FullForwardLogits(original, Ids), TestModels.FullForwardLogits(loaded, Ids));
        Assert.InRange(difference, 1e-7, 1.0);
    }

    [Fact]
    public void Load_ShardedCheckpoint_LoadsAllShards()
    {
        using var directory = new TempDirectory();
        using var original = TestModels.CreateSeeded(TestModels.SmallQwen2(), seed: 6);
        CheckpointWriter.Save(original, directory.Path);
        var all = original.named_parameters().ToList();
        var firstShard = all.Where(p => p.name.StartsWith("model.layers.0.", StringComparison.Ordinal)).ToList();
        var secondShard = all.Except(firstShard).ToList();
        SafetensorsWriter.Write(directory.Combine("model-00001-of-00002.safetensors"), firstShard.Select(p => KeyValuePair.Create(p.name, (Tensor)p.parameter)));
        SafetensorsWriter.Write(directory.Combine("model-00002-of-00002.safetensors"), secondShard.Select(p => KeyValuePair.Create(p.name, (Tensor)p.parameter)));
        var weightMap = string.Join(",\n", all.Select(p =>
            $"\"{p.name}\": \"{(firstShard.Contains(p) ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors")}\""));
        File.WriteAllText(directory.Combine(CheckpointLoader.ShardIndexFileName), $"{{\"metadata\": {{}}, \"weight_map\": {{\n{weightMap}\n}}}}");
        File.Delete(directory.Combine(CheckpointLoader.WeightsFileName));

        using var loaded = CheckpointLoader.Load(directory.Path, CPU);

        Assert.Equal(0.0, TestModels.MaxAbsDifference(TestModels.FullForwardLogits(original, Ids), TestModels.FullForwardLogits(loaded, Ids)));
    }

    [Fact]
    public void Load_InsideCallersDisposeScope_ModelOutlivesTheScope()
    {
        using var directory = new TempDirectory();
        using var original = TestModels.CreateSeeded(TestModels.SmallQwen2(), seed: 7);
        CheckpointWriter.Save(original, directory.Path);
        CausalLanguageModel loaded;

        using (var scope = NewDisposeScope())
        {
            loaded = CheckpointLoader.Load(directory.Path, CPU);
        }

        using (loaded)
        {
            Assert.Equal(0.0, TestModels.MaxAbsDifference(TestModels.FullForwardLogits(original, Ids), TestModels.FullForwardLogits(loaded, Ids)));
        }
    }

    /// <summary>Saves a seeded small Qwen2, then rewrites its safetensors file after <paramref name="edit"/>.</summary>
    private static TempDirectory SaveModifiedCheckpoint(Action<Dictionary<string, Tensor>> edit)
    {
        var directory = new TempDirectory();
        using var model = TestModels.CreateSeeded(TestModels.SmallQwen2(), seed: 5);
        CheckpointWriter.Save(model, directory.Path);
        using var scope = NewDisposeScope();
        var tensors = model.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter.detach().clone());
        edit(tensors);
        SafetensorsWriter.Write(directory.Combine(CheckpointLoader.WeightsFileName), tensors);
        return directory;
    }
}
