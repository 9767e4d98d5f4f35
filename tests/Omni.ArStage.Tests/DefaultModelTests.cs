using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Omni.ArStage.Engine;
using Omni.ArStage.Model;
using Omni.ArStage.Tests.Support;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace Omni.ArStage.Tests;

[Collection(DefaultModelCollection.Name)]
public sealed class DefaultModelTests(DefaultModelEngineFixture fixture)
{
    [Fact]
    public void Write_Twice_GivesByteIdenticalSafetensors()
    {
        using var first = new TempDirectory();
        using var second = new TempDirectory();

        DefaultModel.Write(first.Path);
        DefaultModel.Write(second.Path);

        var a = File.ReadAllBytes(first.Combine(CheckpointLoader.WeightsFileName));
        var b = File.ReadAllBytes(second.Combine(CheckpointLoader.WeightsFileName));
        Assert.True(a.AsSpan().SequenceEqual(b));
        Assert.Equal(File.ReadAllText(first.Combine(CheckpointLoader.ConfigFileName)), File.ReadAllText(second.Combine(CheckpointLoader.ConfigFileName)));
    }

    [Fact]
    public void Load_DefaultModel_ReportsItsShape()
    {
        var engine = fixture.Engine;

        Assert.Equal(ArEngine.DefaultModelName, engine.ModelName);
        Assert.Equal(256, engine.HiddenSize);
        Assert.Equal(50257, engine.VocabSize);
        Assert.Equal(4096, engine.MaxPositionEmbeddings);
        Assert.Equal("cpu", engine.DeviceName);
        Assert.True(File.Exists(Path.Combine(fixture.CacheDirectory, DefaultModel.DirectoryName, CheckpointLoader.WeightsFileName)));
    }

    [Fact]
    public void Generate_PrefillOnlyWithHiddenStates_ReturnsPromptTokensByHiddenSize()
    {
        var prompt = "A photo of a cat sitting on a mat";
        var tokens = new List<GeneratedToken>();

        var result = fixture.Engine.Generate(
            new GenerationRequest(prompt) { GenerateText = false, ReturnHiddenStates = true }, tokens.Add, CancellationToken.None);

        var promptTokens = fixture.Engine.CountTokens(prompt);
        Assert.Empty(tokens);
        Assert.Equal(0, result.CompletionTokens);
        Assert.NotNull(result.HiddenStates);
        Assert.Equal(promptTokens, result.HiddenStates.Tokens);
        Assert.Equal(256, result.HiddenStates.Width);
        Assert.Equal(promptTokens * 256, result.HiddenStates.Data.Length);
        Assert.All(result.HiddenStates.Data, value => Assert.True(float.IsFinite(value)));
    }

    [Fact]
    public void Generate_TextWithHiddenStates_CoversPromptAndEveryGeneratedToken()
    {
        var request = new GenerationRequest("Once upon a time") { Temperature = 0, MaxTokens = 6, ReturnHiddenStates = true };
        var prefillOnly = fixture.Engine.Generate(request with { GenerateText = false }, null, CancellationToken.None);

        var result = fixture.Engine.Generate(request, null, CancellationToken.None);

        Assert.NotNull(result.HiddenStates);
        Assert.Equal(result.PromptTokens + result.CompletionTokens, result.HiddenStates.Tokens);
        // The prompt rows do not depend on what follows them (causal attention).
        var promptValues = prefillOnly.HiddenStates!.Data;
        var maxDifference = promptValues.Select((v, i) => Math.Abs(v - result.HiddenStates.Data[i])).Max();
        Assert.True(maxDifference < 1e-4);
    }

    [Fact]
    public void Write_DefaultModel_IsAValidSafetensorsFile()
    {
        using var directory = new TempDirectory();
        DefaultModel.Write(directory.Path);
        var path = directory.Combine(CheckpointLoader.WeightsFileName);
        var bytes = File.ReadAllBytes(path);

        var headerLength = BinaryPrimitives.ReadInt64LittleEndian(bytes);
        var header = Encoding.UTF8.GetString(bytes, 8, (int)headerLength);
        using var json = JsonDocument.Parse(header);
        var dataLength = bytes.LongLength - 8 - headerLength;
        var ranges = json.RootElement.EnumerateObject().Where(p => p.Name != "__metadata__")
            .Select(p => p.Value.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray())
            .OrderBy(r => r[0]).ToList();

        // The safetensors spec: header starts with '{', data offsets tile the data section exactly.
        Assert.Equal('{', header[0]);
        Assert.Equal(0, (8 + headerLength) % 8);
        Assert.Equal(0, ranges[0][0]);
        Assert.All(ranges.Zip(ranges.Skip(1)), pair => Assert.Equal(pair.First[1], pair.Second[0]));
        Assert.Equal(dataLength, ranges[^1][1]);
        // An independent reader (TorchSharp.PyBridge) sees the expected tensors.
        using var scope = NewDisposeScope();
        var tensors = Safetensors.LoadStateDict(path);
        Assert.Equal([50257L, 256L], tensors["model.embed_tokens.weight"].shape);
        Assert.Equal(1f, tensors["model.norm.weight"].mean().item<float>());
        Assert.False(tensors.ContainsKey("lm_head.weight"));
        Assert.InRange(tensors["model.layers.0.mlp.up_proj.weight"].std().item<float>(), 0.019f, 0.021f);
    }

    [Fact]
    public void EnsureCreated_ExistingModel_ReusesItWithoutRewriting()
    {
        var directory = DefaultModel.EnsureCreated(fixture.CacheDirectory);
        var weights = Path.Combine(directory, CheckpointLoader.WeightsFileName);
        var before = File.GetLastWriteTimeUtc(weights);

        var again = DefaultModel.EnsureCreated(fixture.CacheDirectory);

        Assert.Equal(directory, again);
        Assert.Equal(before, File.GetLastWriteTimeUtc(weights));
        Assert.Empty(Directory.GetDirectories(fixture.CacheDirectory, ".*"));
    }

    [Fact]
    public async Task EnsureCreated_TwoConcurrentCallers_LeaveOneCompleteModel()
    {
        using var cache = new TempDirectory();
        using var start = new Barrier(2);

        var directories = await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => Task.Factory.StartNew(
            () =>
            {
                start.SignalAndWait();
                return DefaultModel.EnsureCreated(cache.Path);
            },
            TaskCreationOptions.LongRunning)));

        Assert.Equal(directories[0], directories[1]);
        Assert.Equal([directories[0]], Directory.GetDirectories(cache.Path));
        using var model = CheckpointLoader.Load(directories[0], CPU);
        Assert.Equal(256, model.Config.HiddenSize);
    }
}
