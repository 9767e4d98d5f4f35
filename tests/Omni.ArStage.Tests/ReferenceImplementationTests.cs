using Omni.ArStage.Engine;
using Omni.ArStage.Model;
using Omni.ArStage.Tests.Reference;
using Omni.ArStage.Tests.Support;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace Omni.ArStage.Tests;

/// <summary>The engine's logits against an independent float64 implementation, for a Llama and a Qwen2 checkpoint.</summary>
public sealed class ReferenceImplementationTests : IClassFixture<ReferenceImplementationTests.LlamaCheckpoint>
{
    private const double Tolerance = 1e-3;
    private static readonly int[] LlamaIds = [15496, 11, 995, 0, 314, 1101, 50, 7, 2000, 31, 9999, 42];

    private readonly LlamaCheckpoint _llama;

    public ReferenceImplementationTests(LlamaCheckpoint llama) => _llama = llama;

    [Fact]
    public void Load_LlamaCheckpoint_ReadsLlamaConfig()
    {
        using var model = CheckpointLoader.Load(_llama.Directory, CPU);

        Assert.Equal(TransformerConfig.Llama, model.Config.ModelType);
        Assert.False(model.Config.TieWordEmbeddings);
        Assert.False(model.Config.QkvBias);
        Assert.Equal(500000.0, model.Config.RopeTheta);
        Assert.Contains(model.named_parameters(), p => p.name == "lm_head.weight");
        Assert.DoesNotContain(model.named_parameters(), p => p.name.EndsWith(".bias", StringComparison.Ordinal));
    }

    [Fact]
    public void Forward_LlamaWithKvCache_MatchesFullForward()
    {
        using var model = CheckpointLoader.Load(_llama.Directory, CPU);

        var full = TestModels.FullForwardLogits(model, LlamaIds);
        var cached = TestModels.CachedLogits(model, LlamaIds, prefill: 5);

        Assert.True(TestModels.MaxAbsDifference(full, cached) < 1e-4);
    }

    [Fact]
    public void Forward_LlamaCheckpoint_MatchesFloat64Reference()
    {
        using var model = CheckpointLoader.Load(_llama.Directory, CPU);
        var reference = Float64ReferenceModel.Load(_llama.Directory);

        var actual = TestModels.FullForwardLogits(model, LlamaIds);
        var expected = reference.Logits(LlamaIds);

        AssertClose(expected, actual);
    }

    [Fact]
    public void Forward_Qwen2TinyPromptAndContinuation_MatchesFloat64Reference()
    {
        var expectedOutputs = ExpectedQwen2Tiny.Load();
        var ids = expectedOutputs.PromptIds.Concat(expectedOutputs.TokenIds).ToArray();
        using var engine = ArEngine.Load(new ArEngineOptions { ModelDirectory = Fixtures.Qwen2TinyDirectory, Device = "cpu" });
        var reference = Float64ReferenceModel.Load(Fixtures.Qwen2TinyDirectory);

        var actual = TestModels.CachedLogits(engine.Model, ids, prefill: expectedOutputs.PromptIds.Length);
        var expected = reference.Logits(ids);

        AssertClose(expected, actual);
    }

    [Fact]
    public void Reference_Qwen2TinyPrompt_MatchesPublishedLogits()
    {
        var expectedOutputs = ExpectedQwen2Tiny.Load();
        var published = ExpectedQwen2Tiny.PromptLastLogits();

        var logits = Float64ReferenceModel.Load(Fixtures.Qwen2TinyDirectory).Logits(expectedOutputs.PromptIds)[^1];

        Assert.True(published.Select((value, i) => Math.Abs(value - logits[i])).Max() < Tolerance);
    }

    private static void AssertClose(double[][] expected, float[,] actual)
    {
        Assert.Equal(expected.Length, actual.GetLength(0));
        var maxDifference = 0.0;
        for (var t = 0; t < expected.Length; t++)
        {
            Assert.Equal(expected[t].Length, actual.GetLength(1));
            for (var v = 0; v < expected[t].Length; v++)
            {
                maxDifference = Math.Max(maxDifference, Math.Abs(expected[t][v] - actual[t, v]));
            }
        }

        Assert.True(maxDifference < Tolerance, $"max |difference| {maxDifference}");
    }

    /// <summary>
    /// A small seeded Llama checkpoint in Hugging Face layout: untied lm_head, no biases, rope_theta 500000, and a
    /// head_dim (32) that is not hidden_size / num_attention_heads (16). The config is written by hand and the
    /// weights with TorchSharp.PyBridge, so the engine reads files it did not write itself.
    /// </summary>
    public sealed class LlamaCheckpoint : IDisposable
    {
        private readonly TempDirectory _directory = new();

        public LlamaCheckpoint()
        {
            File.WriteAllText(_directory.Combine("config.json"), """
                {
                  "architectures": ["LlamaForCausalLM"],
                  "model_type": "llama",
                  "hidden_act": "silu",
                  "hidden_size": 64,
                  "intermediate_size": 160,
                  "num_hidden_layers": 2,
                  "num_attention_heads": 4,
                  "num_key_value_heads": 2,
                  "head_dim": 32,
                  "vocab_size": 50257,
                  "max_position_embeddings": 2048,
                  "rms_norm_eps": 1e-05,
                  "rope_theta": 500000.0,
                  "rope_scaling": null,
                  "attention_bias": false,
                  "mlp_bias": false,
                  "tie_word_embeddings": false,
                  "bos_token_id": 50256,
                  "eos_token_id": [50256],
                  "torch_dtype": "bfloat16"
                }
                """);
            using var scope = NewDisposeScope();
            using var generator = new Generator(77);
            var shapes = new Dictionary<string, long[]>
            {
                ["model.embed_tokens.weight"] = [50257, 64],
                ["model.norm.weight"] = [64],
                ["lm_head.weight"] = [50257, 64],
            };
            for (var layer = 0; layer < 2; layer++)
            {
                var prefix = $"model.layers.{layer}.";
                shapes[prefix + "input_layernorm.weight"] = [64];
                shapes[prefix + "post_attention_layernorm.weight"] = [64];
                shapes[prefix + "self_attn.q_proj.weight"] = [4 * 32, 64];
                shapes[prefix + "self_attn.k_proj.weight"] = [2 * 32, 64];
                shapes[prefix + "self_attn.v_proj.weight"] = [2 * 32, 64];
                shapes[prefix + "self_attn.o_proj.weight"] = [64, 4 * 32];
                shapes[prefix + "mlp.gate_proj.weight"] = [160, 64];
                shapes[prefix + "mlp.up_proj.weight"] = [160, 64];
                shapes[prefix + "mlp.down_proj.weight"] = [64, 160];
            }

            var tensors = new Dictionary<string, Tensor>();
            foreach (var (name, shape) in shapes.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                var noise = randn(shape, generator: generator);
                tensors[name] = name.EndsWith("norm.weight", StringComparison.Ordinal) ? 1 + 0.1 * noise
                    : name == "model.embed_tokens.weight" ? noise
                    : 0.15 * noise;
            }

            Safetensors.SaveStateDict(_directory.Combine("model.safetensors"), tensors);
        }

        public string Directory => _directory.Path;

        public void Dispose() => _directory.Dispose();
    }
}
