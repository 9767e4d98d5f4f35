using System.Text.Json;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace Omni.ArStage.Tests.Reference;

/// <summary>
/// A deliberately plain float64 implementation of transformers' LlamaForCausalLM / Qwen2ForCausalLM forward pass
/// (no cache, one sequence), written from the Hugging Face formulas with ordinary arrays and loops. It shares no
/// code with the engine: it parses config.json itself and reads weights with TorchSharp.PyBridge's safetensors
/// reader. Rotary inv_freq is computed in float32, as transformers does.
/// </summary>
internal sealed class Float64ReferenceModel
{
    private readonly Dictionary<string, double[]> _weights;
    private readonly int _hidden;
    private readonly int _intermediate;
    private readonly int _layers;
    private readonly int _heads;
    private readonly int _kvHeads;
    private readonly int _headDim;
    private readonly int _vocab;
    private readonly double _eps;
    private readonly double[] _invFreq;

    private Float64ReferenceModel(JsonElement config, Dictionary<string, double[]> weights)
    {
        _weights = weights;
        _hidden = config.GetProperty("hidden_size").GetInt32();
        _intermediate = config.GetProperty("intermediate_size").GetInt32();
        _layers = config.GetProperty("num_hidden_layers").GetInt32();
        _heads = config.GetProperty("num_attention_heads").GetInt32();
        _kvHeads = config.TryGetProperty("num_key_value_heads", out var kv) ? kv.GetInt32() : _heads;
        _headDim = config.TryGetProperty("head_dim", out var hd) && hd.ValueKind == JsonValueKind.Number ? hd.GetInt32() : _hidden / _heads;
        _vocab = config.GetProperty("vocab_size").GetInt32();
        _eps = config.GetProperty("rms_norm_eps").GetDouble();
        var theta = config.GetProperty("rope_theta").GetDouble();

        _invFreq = new double[_headDim / 2];
        for (var i = 0; i < _invFreq.Length; i++)
        {
            var exponent = (float)(2 * i) / _headDim;
            var power = (float)Math.Pow((float)theta, exponent);
            _invFreq[i] = 1.0f / power;
        }

        if (config.TryGetProperty("rope_scaling", out var scaling) && scaling.ValueKind == JsonValueKind.Object)
        {
            ApplyRopeScaling(scaling);
        }
    }

    public int VocabSize => _vocab;

    // The published formulas: linear divides every frequency by the factor; llama3 (Meta's apply_scaling) keeps
    // wavelengths below original / high_freq_factor, divides those above original / low_freq_factor, and blends between.
    private void ApplyRopeScaling(JsonElement scaling)
    {
        var type = scaling.TryGetProperty("rope_type", out var t) ? t.GetString() : scaling.GetProperty("type").GetString();
        var factor = scaling.GetProperty("factor").GetDouble();
        for (var i = 0; i < _invFreq.Length; i++)
        {
            if (type == "linear")
            {
                _invFreq[i] /= factor;
                continue;
            }

            var low = scaling.GetProperty("low_freq_factor").GetDouble();
            var high = scaling.GetProperty("high_freq_factor").GetDouble();
            var original = scaling.GetProperty("original_max_position_embeddings").GetDouble();
            var wavelength = 2 * Math.PI / _invFreq[i];
            if (wavelength > original / low)
            {
                _invFreq[i] /= factor;
            }
            else if (wavelength >= original / high)
            {
                var smooth = (original / wavelength - low) / (high - low);
                _invFreq[i] = (1 - smooth) * _invFreq[i] / factor + smooth * _invFreq[i];
            }
        }
    }

    public static Float64ReferenceModel Load(string directory)
    {
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(directory, "config.json")));
        var weights = new Dictionary<string, double[]>(StringComparer.Ordinal);
        using (var scope = NewDisposeScope())
        {
            foreach (var (name, tensor) in Safetensors.LoadStateDict(Path.Combine(directory, "model.safetensors")))
            {
                weights[name] = tensor.to(ScalarType.Float64).contiguous().data<double>().ToArray();
            }
        }

        return new Float64ReferenceModel(config.RootElement.Clone(), weights);
    }

    /// <summary>Logits [positions][vocab] for every position of <paramref name="ids"/>.</summary>
    public double[][] Logits(IReadOnlyList<int> ids)
    {
        var tokens = ids.Count;
        var x = new double[tokens][];
        var embedding = _weights["model.embed_tokens.weight"];
        for (var t = 0; t < tokens; t++)
        {
            x[t] = embedding.AsSpan(ids[t] * _hidden, _hidden).ToArray();
        }

        for (var layer = 0; layer < _layers; layer++)
        {
            var prefix = $"model.layers.{layer}.";
            var attention = Attention(x.Select(row => RmsNorm(row, prefix + "input_layernorm.weight")).ToArray(), prefix + "self_attn.");
            for (var t = 0; t < tokens; t++)
            {
                Add(x[t], attention[t]);
            }

            for (var t = 0; t < tokens; t++)
            {
                var normed = RmsNorm(x[t], prefix + "post_attention_layernorm.weight");
                var gate = Linear(normed, prefix + "mlp.gate_proj");
                var up = Linear(normed, prefix + "mlp.up_proj");
                var product = new double[_intermediate];
                for (var i = 0; i < _intermediate; i++)
                {
                    product[i] = gate[i] / (1 + Math.Exp(-gate[i])) * up[i];
                }

                Add(x[t], Linear(product, prefix + "mlp.down_proj"));
            }
        }

        var head = _weights.ContainsKey("lm_head.weight") ? "lm_head" : "model.embed_tokens";
        return x.Select(row => Linear(RmsNorm(row, "model.norm.weight"), head)).ToArray();
    }

    private double[][] Attention(double[][] input, string prefix)
    {
        var tokens = input.Length;
        var q = input.Select(row => Linear(row, prefix + "q_proj")).ToArray();
        var k = input.Select(row => Linear(row, prefix + "k_proj")).ToArray();
        var v = input.Select(row => Linear(row, prefix + "v_proj")).ToArray();
        for (var t = 0; t < tokens; t++)
        {
            for (var h = 0; h < _heads; h++)
            {
                Rotate(q[t], h * _headDim, t);
            }

            for (var h = 0; h < _kvHeads; h++)
            {
                Rotate(k[t], h * _headDim, t);
            }
        }

        var groups = _heads / _kvHeads;
        var scale = 1.0 / Math.Sqrt(_headDim);
        var output = new double[tokens][];
        for (var t = 0; t < tokens; t++)
        {
            output[t] = new double[_heads * _headDim];
            for (var h = 0; h < _heads; h++)
            {
                var kvOffset = h / groups * _headDim;
                var scores = new double[t + 1];
                for (var s = 0; s <= t; s++)
                {
                    var dot = 0.0;
                    for (var d = 0; d < _headDim; d++)
                    {
                        dot += q[t][h * _headDim + d] * k[s][kvOffset + d];
                    }

                    scores[s] = dot * scale;
                }

                var max = scores.Max();
                var weights = scores.Select(s => Math.Exp(s - max)).ToArray();
                var total = weights.Sum();
                for (var s = 0; s <= t; s++)
                {
                    for (var d = 0; d < _headDim; d++)
                    {
                        output[t][h * _headDim + d] += weights[s] / total * v[s][kvOffset + d];
                    }
                }
            }
        }

        return output.Select(row => Linear(row, prefix + "o_proj")).ToArray();
    }

    // rotate_half: pairs element i with element i + headDim/2 of the same head.
    private void Rotate(double[] vector, int offset, int position)
    {
        var half = _headDim / 2;
        for (var i = 0; i < half; i++)
        {
            var angle = position * _invFreq[i];
            var (cos, sin) = (Math.Cos(angle), Math.Sin(angle));
            var a = vector[offset + i];
            var b = vector[offset + half + i];
            vector[offset + i] = a * cos - b * sin;
            vector[offset + half + i] = b * cos + a * sin;
        }
    }

    private double[] RmsNorm(double[] x, string weightName)
    {
        var weight = _weights[weightName];
        var meanSquare = x.Sum(value => value * value) / x.Length;
        var inverse = 1.0 / Math.Sqrt(meanSquare + _eps);
        return x.Select((value, i) => value * inverse * weight[i]).ToArray();
    }

    private double[] Linear(double[] x, string name)
    {
        var weight = _weights[name + ".weight"];
        var outputs = weight.Length / x.Length;
        var bias = _weights.GetValueOrDefault(name + ".bias");
        var y = new double[outputs];
        for (var o = 0; o < outputs; o++)
        {
            var sum = bias?[o] ?? 0.0;
            var row = o * x.Length;
            for (var i = 0; i < x.Length; i++)
            {
                sum += weight[row + i] * x[i];
            }

            y[o] = sum;
        }

        return y;
    }

    private static void Add(double[] target, double[] values)
    {
        for (var i = 0; i < target.Length; i++)
        {
            target[i] += values[i];
        }
    }
}
