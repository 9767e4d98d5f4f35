using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace Omni.ArStage.Tests.Support;

/// <summary>
/// A small seeded Llama checkpoint in Hugging Face layout: untied lm_head, no biases, rope_theta 500000, and a
/// head_dim (32) that is not hidden_size / num_attention_heads (16). The config is written by hand and the
/// weights with TorchSharp.PyBridge, so the engine reads files it did not write itself.
/// </summary>
public sealed class LlamaCheckpoint : IDisposable
{
    private readonly TempDirectory _directory = new();

    public LlamaCheckpoint()
        : this("null")
    {
    }

    /// <param name="ropeScaling">The config's rope_scaling value, as JSON.</param>
    internal LlamaCheckpoint(string ropeScaling)
    {
        File.WriteAllText(_directory.Combine("config.json"), $$"""
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
              "rope_scaling": {{ropeScaling}},
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
