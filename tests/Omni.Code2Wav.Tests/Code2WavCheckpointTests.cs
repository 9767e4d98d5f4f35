using Omni.Code2Wav.Engine;
using Omni.Code2Wav.Model;
using static TorchSharp.torch;

namespace Omni.Code2Wav.Tests;

public sealed class Code2WavCheckpointTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"omni-code2wav-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Fact]
    public void Load_SavedDefaultModel_SameSamples()
    {
        int[] codes = [5, 900, 17, 17, 333, 0, 1023];
        using var created = DefaultCode2WavModel.Create();
        Code2WavCheckpoint.Save(created, _directory);

        using var loaded = Code2WavCheckpoint.Load(_directory, CPU);

        Assert.Equal(Code2WavDecoding.DecodeWhole(created, CPU, codes), Code2WavDecoding.DecodeWhole(loaded, CPU, codes));
        Assert.Equal(DefaultCode2WavModel.Config.ToJson(), loaded.Config.ToJson());
    }

    [Fact]
    public void Load_NoModelDirectory_GeneratesTheDefaultVocoderIntoTheCache()
    {
        using var engine = Code2WavEngine.Load(new Code2WavEngineOptions { Device = "cpu", CacheDirectory = _directory });
        using var created = DefaultCode2WavModel.Create();
        int[] codes = [1, 2, 3, 1000];

        Assert.Equal((DefaultCode2WavModel.Name, "cpu", 24000), (engine.ModelName, engine.DeviceName, engine.SampleRate));
        Assert.True(File.Exists(Path.Combine(_directory, DefaultCode2WavModel.CacheDirectoryName, Code2WavCheckpoint.WeightsFileName)));
        Assert.Equal(Code2WavDecoding.DecodeWhole(created, CPU, codes), engine.OpenStream().Decode(codes));
    }

    [Fact]
    public void Create_TwiceFromTheSeed_SameWeights()
    {
        using var first = DefaultCode2WavModel.Create();
        using var second = DefaultCode2WavModel.Create();

        foreach (var (name, weight) in first.state_dict())
        {
            Assert.True(weight.equal(second.state_dict()[name]).all().item<bool>(), name);
        }
    }

    [Fact]
    public void Load_TensorMissing_ThrowsNamingIt()
    {
        using (var created = DefaultCode2WavModel.Create())
        {
            Code2WavCheckpoint.Save(created, _directory);
        }
        var config = DefaultCode2WavModel.Config with { ResidualDilations = [1, 3, 9] };
        File.WriteAllText(Path.Combine(_directory, Code2WavCheckpoint.ConfigFileName), config.ToJson());

        var error = Assert.Throws<InvalidDataException>(() => Code2WavCheckpoint.Load(_directory, CPU));

        Assert.Contains("Missing tensor 'stages.0.residuals.2.conv1.conv.bias'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"model_type":"omni-code2wav","codebook_size":0,"embedding_dim":8,"upsample_channels":[4],"upsample_rates":[2]}""", "codebook_size is 0")]
    [InlineData("""{"model_type":"omni-code2wav","codebook_size":8,"embedding_dim":8,"upsample_channels":[4],"upsample_rates":[2,2]}""", "same length")]
    [InlineData("""{"model_type":"omni-code2wav","codebook_size":8,"embedding_dim":8,"upsample_channels":[4],"upsample_rates":[2],"kernel_size":4}""", "kernel_size is 4")]
    [InlineData("""{"model_type":"other","codebook_size":8,"embedding_dim":8,"upsample_channels":[4],"upsample_rates":[2]}""", "model_type is 'other'")]
    public void FromJson_InvalidConfig_ThrowsNamingTheField(string json, string expected)
    {
        var error = Assert.Throws<InvalidDataException>(() => Code2WavConfig.FromJson(json));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ContextFrames_DefaultConfig_CoversEveryCausalLayer()
    {
        // Input conv 6 frames; per stage 1 step of its input rate and (6 * 1 + 6 * 3) steps of its output rate;
        // output conv 6 samples: 6 + (1 + 24/8) + (1/8 + 24/40) + (1/40 + 24/160) + (1/160 + 24/480) + 6/480 = 10.97 frames,
        // rounded up, + 1.
        Assert.Equal(12, DefaultCode2WavModel.Config.ContextFrames);
        Assert.Equal(480, DefaultCode2WavModel.Config.HopLength);
    }
}
