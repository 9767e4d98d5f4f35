using System.Diagnostics;
using Omni.ArStage.Model;
using Omni.ArStage.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace Omni.ArStage.Engine;

/// <summary>
/// The autoregressive stage: a Llama/Qwen2 decoder with a GPT-2 tokenizer that streams generated tokens.
/// One request runs at a time (concurrent calls wait for each other).
/// </summary>
public sealed class ArEngine : IDisposable
{
    public const string DefaultModelName = "omni-ar-default";

    private readonly CausalLanguageModel _model;
    private readonly Device _device;
    private readonly HashSet<int> _eosTokenIds;
    private readonly Lock _gate = new();
    private bool _disposed;

    private ArEngine(CausalLanguageModel model, Device device, string deviceName, string modelName, ITextTokenizer tokenizer)
    {
        _model = model;
        _device = device;
        DeviceName = deviceName;
        ModelName = modelName;
        Tokenizer = tokenizer;
        _eosTokenIds = [.. model.Config.EosTokenIds, .. tokenizer.EosTokenIds];
    }

    public string ModelName { get; }

    public int HiddenSize => _model.Config.HiddenSize;

    public int VocabSize => _model.Config.VocabSize;

    public int MaxPositionEmbeddings => _model.Config.MaxPositionEmbeddings;

    public string DeviceName { get; }

    public ITextTokenizer Tokenizer { get; }

    internal CausalLanguageModel Model => _model;

    public static ArEngine Load(ArEngineOptions options) => Load(options, Gpt2TextTokenizer.Instance);

    internal static ArEngine Load(ArEngineOptions options, ITextTokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(options);
        var (device, deviceName) = DeviceResolver.Resolve(options.Device);
        string directory;
        string modelName;
        if (options.ModelDirectory is null)
        {
            directory = DefaultModel.EnsureCreated(options.CacheDirectory);
            modelName = options.ModelName ?? DefaultModelName;
        }
        else
        {
            directory = options.ModelDirectory;
            modelName = options.ModelName ?? new DirectoryInfo(Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory))).Name;
        }

        var model = CheckpointLoader.Load(directory, device);
        if (model.Config.VocabSize < tokenizer.VocabularySize)
        {
            model.Dispose();
            throw new NotSupportedException(
                $"The model's vocabulary ({model.Config.VocabSize}) is smaller than the tokenizer's ({tokenizer.VocabularySize}).");
        }

        return new ArEngine(model, device, deviceName, modelName, tokenizer);
    }

    /// <summary>Number of prompt tokens <see cref="Generate"/> would feed the model for <paramref name="prompt"/>.</summary>
    public int CountTokens(string prompt) => EncodePrompt(prompt).Length;

    /// <summary>
    /// Runs the prompt through the model and, when <see cref="GenerationRequest.GenerateText"/>, generates up to
    /// <see cref="GenerationRequest.MaxTokens"/> tokens, calling <paramref name="onToken"/> for each one (the
    /// end-of-sequence token included, with no text) as soon as it is sampled.
    /// </summary>
    /// <exception cref="ArgumentException">The request is invalid or the prompt is too long.</exception>
    /// <exception cref="OperationCanceledException">Cancellation was requested (checked before every step).</exception>
    public GenerationResult Generate(GenerationRequest request, Action<GeneratedToken>? onToken, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        Validate(request);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            cancellationToken.ThrowIfCancellationRequested();
            var promptIds = EncodePrompt(request.Prompt);
            var newTokens = request.GenerateText ? request.MaxTokens : 0;
            var promptLimit = MaxPositionEmbeddings - newTokens;
            if (promptIds.Length > promptLimit)
            {
                throw new ArgumentException(
                    $"The prompt has {promptIds.Length} tokens but at most {promptLimit} fit: max_position_embeddings ({MaxPositionEmbeddings}) - max_tokens ({newTokens}).",
                    nameof(request));
            }

            using var inference = inference_mode();
            using var requestScope = NewDisposeScope();
            return Run(request, promptIds, newTokens, onToken, cancellationToken);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (!_disposed)
            {
                _disposed = true;
                _model.Dispose();
            }
        }
    }

    private GenerationResult Run(GenerationRequest request, int[] promptIds, int newTokens, Action<GeneratedToken>? onToken, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var hiddenRows = request.ReturnHiddenStates ? new List<Tensor>() : null;
        using var cache = new KvCache(_model.Config, promptIds.Length + newTokens, _device);
        var logits = Step(tensor(promptIds.Select(id => (long)id).ToArray(), [1, promptIds.Length], device: _device), cache, hiddenRows);

        if (newTokens == 0)
        {
            logits.Dispose();
            var states = CollectHiddenStates(hiddenRows);
            if (_device.type == DeviceType.CUDA)
            {
                cuda.synchronize(_device);
            }

            return new GenerationResult(request.GenerateText ? FinishReason.Length : FinishReason.Stop, promptIds.Length, 0, states, clock.Elapsed, TimeSpan.Zero);
        }

        using var sampler = new TokenSampler(request, _device);
        var text = new TextStream(Tokenizer, request.StopStrings, _eosTokenIds);
        var prefillTime = TimeSpan.Zero;
        var completionTokens = 0;
        FinishReason? finishReason;
        Tensor token;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            token = sampler.Sample(logits);
            logits.Dispose();
            var tokenId = (int)token.item<long>();
            if (completionTokens++ == 0)
            {
                prefillTime = clock.Elapsed;
            }

            (var delta, finishReason) = text.Accept(tokenId, isLastAllowed: completionTokens == newTokens);
            onToken?.Invoke(new GeneratedToken(tokenId, delta));
            if (finishReason is not null)
            {
                break;
            }

            logits = Step(token, cache, hiddenRows);
            token.Dispose();
        }

        if (hiddenRows is not null)
        {
            // One more single-token step gives the last sampled token its hidden state; its logits are not needed.
            Step(token, cache, hiddenRows).Dispose();
        }

        var hiddenStates = CollectHiddenStates(hiddenRows);
        return new GenerationResult(finishReason.Value, promptIds.Length, completionTokens, hiddenStates, prefillTime, clock.Elapsed - prefillTime);
    }

    /// <summary>Feeds ids [1, tokens] to the model; returns the last position's logits [1, vocab].</summary>
    private Tensor Step(Tensor inputIds, KvCache cache, List<Tensor>? hiddenRows)
    {
        using var scope = NewDisposeScope();
        var hidden = _model.call(inputIds, cache);
        if (hiddenRows is not null)
        {
            hiddenRows.Add(hidden.select(0, 0).MoveToOuterDisposeScope());
        }

        return _model.Logits(hidden.select(1, -1)).MoveToOuterDisposeScope();
    }

    private HiddenStates? CollectHiddenStates(List<Tensor>? rows)
    {
        if (rows is null)
        {
            return null;
        }

        using var scope = NewDisposeScope();
        var all = cat(rows, 0).to(ScalarType.Float32).cpu();
        return new HiddenStates(all.data<float>().ToArray(), (int)all.shape[0], (int)all.shape[1]);
    }

    private int[] EncodePrompt(string prompt)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        var ids = Tokenizer.Encode(prompt);
        if (ids.Length > 0)
        {
            return ids;
        }

        // An empty prompt still needs one position to run from; like GPT-2's unconditional generation, start from BOS.
        var bos = _model.Config.BosTokenIds.Count > 0 ? _model.Config.BosTokenIds[0] : Tokenizer.EosTokenIds[0];
        return [bos];
    }

    private static void Validate(GenerationRequest request)
    {
        ArgumentNullException.ThrowIfNull(request.Prompt, nameof(request.Prompt));
        if (request.MaxTokens < 0)
        {
            throw new ArgumentException($"MaxTokens must not be negative (got {request.MaxTokens}).", nameof(request));
        }

        if (!float.IsFinite(request.Temperature) || request.Temperature < 0)
        {
            throw new ArgumentException($"Temperature must be a finite number >= 0 (got {request.Temperature}).", nameof(request));
        }

        if (!(request.TopP > 0 && request.TopP <= 1))
        {
            throw new ArgumentException($"TopP must be in (0, 1] (got {request.TopP}).", nameof(request));
        }

        if (request.TopK < 0)
        {
            throw new ArgumentException($"TopK must not be negative (got {request.TopK}).", nameof(request));
        }

        ArgumentNullException.ThrowIfNull(request.StopStrings, nameof(request.StopStrings));
    }
}
