using Omni.ArStage.Model;

namespace Omni.ArStage.Tests;

public sealed class TransformerConfigTests
{
    private const string Sizes = """
        "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4, "vocab_size": 100
        """;

    [Fact]
    public void Parse_Qwen2_HasBiasOnQkvOnly()
    {
        var config = TransformerConfig.Parse($$"""{ "model_type": "qwen2", {{Sizes}} }""");

        Assert.True(config.QkvBias);
        Assert.False(config.OutputProjectionBias);
        Assert.False(config.MlpBias);
    }

    [Fact]
    public void Parse_LlamaWithAttentionAndMlpBias_HasBiasOnEveryProjection()
    {
        var config = TransformerConfig.Parse($$"""{ "model_type": "llama", "attention_bias": true, "mlp_bias": true, {{Sizes}} }""");

        Assert.True(config.QkvBias);
        Assert.True(config.OutputProjectionBias);
        Assert.True(config.MlpBias);
    }

    [Fact]
    public void Parse_MissingOptionalKeys_UsesTransformersDefaults()
    {
        var config = TransformerConfig.Parse($$"""{ "model_type": "llama", {{Sizes}} }""");

        Assert.Equal(4, config.NumKeyValueHeads);
        Assert.Equal(16, config.HeadDim);
        Assert.Equal(10000.0, config.RopeTheta);
        Assert.Equal(2048, config.MaxPositionEmbeddings);
        Assert.False(config.TieWordEmbeddings);
        Assert.False(config.QkvBias);
    }

    [Fact]
    public void Parse_EosTokenIdList_ReadsEveryId()
    {
        var config = TransformerConfig.Parse($$"""{ "model_type": "llama", "eos_token_id": [7, 9], "bos_token_id": 1, {{Sizes}} }""");

        Assert.Equal([7, 9], config.EosTokenIds);
        Assert.Equal([1], config.BosTokenIds);
    }

    [Fact]
    public void Parse_UnsupportedModelType_ThrowsNotSupported()
    {
        Assert.Throws<NotSupportedException>(() => TransformerConfig.Parse($$"""{ "model_type": "gpt2", {{Sizes}} }"""));
    }

    [Fact]
    public void Parse_DynamicRopeScaling_ThrowsNotSupported()
    {
        Assert.Throws<NotSupportedException>(() => TransformerConfig.Parse(
            $$"""{ "model_type": "llama", "rope_scaling": { "rope_type": "dynamic", "factor": 2.0 }, {{Sizes}} }"""));
    }

    [Fact]
    public void Parse_Llama3RopeScaling_ReadsEveryFactorAndRoundTrips()
    {
        var config = TransformerConfig.Parse($$"""
            { "model_type": "llama", {{Sizes}}, "rope_scaling": { "rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
              "high_freq_factor": 4.0, "original_max_position_embeddings": 8192 } }
            """);

        Assert.Equal(new RopeScaling { Type = RopeScaling.Llama3, Factor = 8, LowFreqFactor = 1, HighFreqFactor = 4, OriginalMaxPositionEmbeddings = 8192 },
            config.RopeScaling);
        Assert.Equal(config.RopeScaling, TransformerConfig.Parse(config.ToJson()).RopeScaling);
    }

    [Fact]
    public void Parse_LinearRopeScalingOldStyleKey_ReadsFactor()
    {
        var config = TransformerConfig.Parse($$"""{ "model_type": "qwen2", {{Sizes}}, "rope_scaling": { "type": "linear", "factor": 2.0 } }""");

        Assert.Equal(new RopeScaling { Type = RopeScaling.Linear, Factor = 2 }, config.RopeScaling);
    }

    [Fact]
    public void ToJson_ThenParse_RoundTrips()
    {
        var config = TransformerConfig.Parse($$"""{ "model_type": "llama", "attention_bias": true, "eos_token_id": [7, 9], "rope_theta": 500000.0, {{Sizes}} }""");

        var again = TransformerConfig.Parse(config.ToJson());

        Assert.Equal(config.ToJson(), again.ToJson());
        Assert.Equal(500000.0, again.RopeTheta);
        Assert.True(again.OutputProjectionBias);
    }
}
