using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Omni.ArStage.Model;

/// <summary>
/// The subset of a Hugging Face <c>config.json</c> that a Llama/Qwen2-family decoder needs.
/// </summary>
public sealed record TransformerConfig
{
    public const string Qwen2 = "qwen2";
    public const string Llama = "llama";

    public required string ModelType { get; init; }
    public required int HiddenSize { get; init; }
    public required int IntermediateSize { get; init; }
    public required int NumHiddenLayers { get; init; }
    public required int NumAttentionHeads { get; init; }
    public required int NumKeyValueHeads { get; init; }
    public required int HeadDim { get; init; }
    public required int VocabSize { get; init; }
    public required int MaxPositionEmbeddings { get; init; }
    public double RmsNormEps { get; init; } = 1e-6;
    public double RopeTheta { get; init; } = 10000.0;

    /// <summary>Null: plain rotary embeddings.</summary>
    public RopeScaling? RopeScaling { get; init; }
    public bool TieWordEmbeddings { get; init; }

    /// <summary>Bias on q_proj, k_proj and v_proj (always on for Qwen2, <c>attention_bias</c> for Llama).</summary>
    public bool QkvBias { get; init; }

    /// <summary>Bias on o_proj (Llama's <c>attention_bias</c> covers it too; Qwen2 never has one).</summary>
    public bool OutputProjectionBias { get; init; }

    public bool MlpBias { get; init; }
    public IReadOnlyList<int> BosTokenIds { get; init; } = [];
    public IReadOnlyList<int> EosTokenIds { get; init; } = [];
    public string TorchDtype { get; init; } = "float32";

    /// <summary>
    /// Width of the prompt embeddings the model takes when it is not <see cref="HiddenSize"/> (a talker fed another
    /// model's hidden states): <c>model.prompt_projection</c> maps them to the hidden size. Null: prompt embeddings are
    /// hidden-size rows, used as they are.
    /// </summary>
    public int? PromptEmbeddingSize { get; init; }

    /// <summary>A talker's codec frames per second of audio (<c>codec_frame_rate</c>), which turns a duration into frames.</summary>
    public double? CodecFrameRate { get; init; }

    /// <summary>The width of the rows a prompt given as embeddings has.</summary>
    public int PromptEmbeddingWidth => PromptEmbeddingSize ?? HiddenSize;

    public int KeyValueGroups => NumAttentionHeads / NumKeyValueHeads;

    public static TransformerConfig Load(string path)
    {
        try
        {
            return Parse(File.ReadAllText(path));
        }
        catch (Exception e) when (e is JsonException or FormatException or KeyNotFoundException)
        {
            throw new InvalidDataException($"Cannot read model config '{path}': {e.Message}", e);
        }
    }

    /// <summary>
    /// This config with the end-of-sequence ids of the checkpoint's <c>generation_config.json</c> added, as transformers'
    /// <c>generate()</c> and vLLM stop on them: an instruction-tuned checkpoint often lists its end-of-turn token only there
    /// (Llama 3 Instruct: <c>config.json</c> 128001, <c>generation_config.json</c> [128001, 128009]).
    /// </summary>
    public TransformerConfig WithGenerationConfig(string path)
    {
        try
        {
            var root = JsonNode.Parse(File.ReadAllText(path))?.AsObject() ?? throw new FormatException("generation_config.json is not a JSON object.");
            return this with { EosTokenIds = [.. EosTokenIds.Union(GetIntOrList(root, "eos_token_id"))] };
        }
        catch (Exception e) when (e is JsonException or FormatException)
        {
            throw new InvalidDataException($"Cannot read generation config '{path}': {e.Message}", e);
        }
    }

    public static TransformerConfig Parse(string json)
    {
        var root = JsonNode.Parse(json)?.AsObject() ?? throw new FormatException("config.json is not a JSON object.");
        var modelType = GetString(root, "model_type") ?? throw new KeyNotFoundException("config.json has no 'model_type'.");
        if (modelType is not (Qwen2 or Llama))
        {
            throw new NotSupportedException($"model_type '{modelType}' is not supported (expected '{Qwen2}' or '{Llama}').");
        }

        var hiddenAct = GetString(root, "hidden_act") ?? "silu";
        if (hiddenAct != "silu")
        {
            throw new NotSupportedException($"hidden_act '{hiddenAct}' is not supported (expected 'silu').");
        }

        var hidden = RequireInt(root, "hidden_size");
        var heads = RequireInt(root, "num_attention_heads");
        var kvHeads = GetInt(root, "num_key_value_heads") ?? heads;
        var headDim = GetInt(root, "head_dim") ?? hidden / heads;
        var llamaAttentionBias = GetBool(root, "attention_bias") ?? false;

        var config = new TransformerConfig
        {
            ModelType = modelType,
            HiddenSize = hidden,
            IntermediateSize = RequireInt(root, "intermediate_size"),
            NumHiddenLayers = RequireInt(root, "num_hidden_layers"),
            NumAttentionHeads = heads,
            NumKeyValueHeads = kvHeads,
            HeadDim = headDim,
            VocabSize = RequireInt(root, "vocab_size"),
            MaxPositionEmbeddings = GetInt(root, "max_position_embeddings") ?? (modelType == Qwen2 ? 32768 : 2048),
            RmsNormEps = GetDouble(root, "rms_norm_eps") ?? 1e-6,
            RopeTheta = GetDouble(root, "rope_theta") ?? GetDouble(root["rope_parameters"] as JsonObject, "rope_theta") ?? 10000.0,
            RopeScaling = ParseRopeScaling(root),
            TieWordEmbeddings = GetBool(root, "tie_word_embeddings") ?? false,
            QkvBias = modelType == Qwen2 || llamaAttentionBias,
            OutputProjectionBias = modelType == Llama && llamaAttentionBias,
            MlpBias = modelType == Llama && (GetBool(root, "mlp_bias") ?? false),
            BosTokenIds = GetIntOrList(root, "bos_token_id"),
            EosTokenIds = GetIntOrList(root, "eos_token_id"),
            TorchDtype = GetString(root, "torch_dtype") ?? GetString(root, "dtype") ?? "float32",
            PromptEmbeddingSize = GetInt(root, "prompt_embedding_size"),
            CodecFrameRate = GetDouble(root, "codec_frame_rate"),
        };
        config.Validate();
        return config;
    }

    public void Validate()
    {
        if (HiddenSize <= 0 || IntermediateSize <= 0 || NumHiddenLayers <= 0 || NumAttentionHeads <= 0
            || NumKeyValueHeads <= 0 || HeadDim <= 0 || VocabSize <= 0 || MaxPositionEmbeddings <= 0)
        {
            throw new InvalidDataException("Model config sizes must all be positive.");
        }

        if (NumAttentionHeads % NumKeyValueHeads != 0)
        {
            throw new InvalidDataException(
                $"num_attention_heads ({NumAttentionHeads}) must be a multiple of num_key_value_heads ({NumKeyValueHeads}).");
        }

        if (HeadDim % 2 != 0)
        {
            throw new InvalidDataException($"head_dim ({HeadDim}) must be even for rotary embeddings.");
        }

        if (PromptEmbeddingSize is <= 0)
        {
            throw new InvalidDataException($"prompt_embedding_size ({PromptEmbeddingSize}) must be positive.");
        }

        if (CodecFrameRate is { } rate && (!double.IsFinite(rate) || rate <= 0))
        {
            throw new InvalidDataException($"codec_frame_rate ({rate}) must be positive.");
        }

        RopeScaling?.Validate();
    }

    /// <summary>Writes the config in Hugging Face layout, so transformers can read it back.</summary>
    public string ToJson()
    {
        var root = new JsonObject
        {
            ["architectures"] = new JsonArray(ModelType == Qwen2 ? "Qwen2ForCausalLM" : "LlamaForCausalLM"),
            ["model_type"] = ModelType,
            ["hidden_act"] = "silu",
            ["hidden_size"] = HiddenSize,
            ["intermediate_size"] = IntermediateSize,
            ["num_hidden_layers"] = NumHiddenLayers,
            ["num_attention_heads"] = NumAttentionHeads,
            ["num_key_value_heads"] = NumKeyValueHeads,
            ["head_dim"] = HeadDim,
            ["vocab_size"] = VocabSize,
            ["max_position_embeddings"] = MaxPositionEmbeddings,
            ["rms_norm_eps"] = RmsNormEps,
            ["rope_theta"] = RopeTheta,
            ["rope_scaling"] = RopeScalingToNode(RopeScaling),
            ["tie_word_embeddings"] = TieWordEmbeddings,
            ["bos_token_id"] = IdsToNode(BosTokenIds),
            ["eos_token_id"] = IdsToNode(EosTokenIds),
            ["torch_dtype"] = TorchDtype,
        };
        if (PromptEmbeddingSize is { } promptWidth)
        {
            root["prompt_embedding_size"] = promptWidth;
        }

        if (CodecFrameRate is { } frameRate)
        {
            root["codec_frame_rate"] = frameRate;
        }

        if (ModelType == Llama)
        {
            root["attention_bias"] = QkvBias;
            root["mlp_bias"] = MlpBias;
        }

        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    private static JsonNode? IdsToNode(IReadOnlyList<int> ids) => ids.Count switch
    {
        0 => null,
        1 => JsonValue.Create(ids[0]),
        _ => new JsonArray(ids.Select(id => (JsonNode?)JsonValue.Create(id)).ToArray()),
    };

    // transformers reads "rope_scaling" (older configs) or "rope_parameters" (newer ones); "default" means none.
    private static RopeScaling? ParseRopeScaling(JsonObject root)
    {
        var scaling = root["rope_scaling"] as JsonObject ?? root["rope_parameters"] as JsonObject;
        if (scaling is null)
        {
            return null;
        }

        var type = GetString(scaling, "rope_type") ?? GetString(scaling, "type") ?? "default";
        if (type == "default")
        {
            return null;
        }

        var parsed = new RopeScaling
        {
            Type = type,
            Factor = GetDouble(scaling, "factor") ?? throw new KeyNotFoundException($"rope_scaling '{type}' has no 'factor'."),
            LowFreqFactor = GetDouble(scaling, "low_freq_factor") ?? 1.0,
            HighFreqFactor = GetDouble(scaling, "high_freq_factor") ?? 4.0,
            OriginalMaxPositionEmbeddings = GetInt(scaling, "original_max_position_embeddings") ?? 8192,
        };
        parsed.Validate();
        return parsed;
    }

    private static JsonObject? RopeScalingToNode(RopeScaling? scaling) => scaling switch
    {
        null => null,
        { Type: RopeScaling.Linear } => new JsonObject { ["rope_type"] = scaling.Type, ["factor"] = scaling.Factor },
        _ => new JsonObject
        {
            ["rope_type"] = scaling.Type,
            ["factor"] = scaling.Factor,
            ["low_freq_factor"] = scaling.LowFreqFactor,
            ["high_freq_factor"] = scaling.HighFreqFactor,
            ["original_max_position_embeddings"] = scaling.OriginalMaxPositionEmbeddings,
        },
    };

    private static int RequireInt(JsonObject obj, string key) =>
        GetInt(obj, key) ?? throw new KeyNotFoundException($"config.json has no '{key}'.");

    private static int? GetInt(JsonObject? obj, string key) =>
        obj?[key] is JsonValue v && v.GetValueKind() == JsonValueKind.Number ? checked((int)v.GetValue<double>()) : null;

    private static double? GetDouble(JsonObject? obj, string key) =>
        obj?[key] is JsonValue v && v.GetValueKind() == JsonValueKind.Number ? v.GetValue<double>() : null;

    private static bool? GetBool(JsonObject obj, string key) =>
        obj[key] is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False ? v.GetValue<bool>() : null;

    private static string? GetString(JsonObject? obj, string key) =>
        obj?[key] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    private static IReadOnlyList<int> GetIntOrList(JsonObject obj, string key) => obj[key] switch
    {
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => [checked((int)v.GetValue<double>())],
        JsonArray a => a.Select(n => n is JsonValue e && e.GetValueKind() == JsonValueKind.Number
            ? checked((int)e.GetValue<double>())
            : throw new FormatException($"'{key}' must hold integers, found {n?.ToJsonString() ?? "null"}.")).ToArray(),
        null => [],
        var other => throw new FormatException(
            string.Create(CultureInfo.InvariantCulture, $"'{key}' must be an integer or a list, found {other.ToJsonString()}.")),
    };
}
