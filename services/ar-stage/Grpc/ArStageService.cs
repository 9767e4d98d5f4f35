using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Threading.Channels;
using Omni.ArStage.Engine;
using Omni.Common.Payloads;
using Omni.Common.Stages;
using Omni.Common.Tracing;
using Omni.Common.Validation;
using Omni.Contracts.V1;
using EngineFinishReason = Omni.ArStage.Engine.FinishReason;
using EngineTokenLogprob = Omni.ArStage.Engine.TokenLogprob;
using FinishReason = Omni.Contracts.V1.FinishReason;
using TokenLogprob = Omni.Contracts.V1.TokenLogprob;
using TopLogprob = Omni.Contracts.V1.TopLogprob;

namespace Omni.ArStage.Grpc;

/// <summary>
/// Adapts the AR engine to the stage contract. The prompt is the header's text, tokenized here once, or the
/// <c>token_ids</c> tensor of an upstream stage. Out, as the header asks: text deltas as tokens are sampled, the
/// generated <c>token_ids</c>, and the final-layer <c>hidden_states</c> (with <c>negative_hidden_states</c> of the image's
/// negative prompt, for classifier-free guidance), then a final message. A talker checkpoint is served by
/// <see cref="TalkerProcessor"/> instead. The request runs in the engine's batch with
/// every other; cancelling the call (client gone, deadline) drops it from the engine within one step. Engine errors
/// become statuses in <see cref="Common.Hosting.ExceptionStatusInterceptor"/>.
/// </summary>
public sealed class ArStageService(ArEngine engine, StageHost host) : StageServiceBase(host)
{
    public const string TextOutput = "text";
    public const string TokenIdsTensor = "token_ids";
    public const string HiddenStatesTensor = "hidden_states";
    public const string NegativeHiddenStatesTensor = "negative_hidden_states";

    /// <summary>Largest token_ids input: far more tokens than any context the stage serves.</summary>
    private const long MaxTokenIdsBytes = 1 << 20;

    private readonly TalkerProcessor? _talker = engine.TakesPromptEmbeddings ? new TalkerProcessor(engine) : null;

    protected override StageDescription Description { get; } = engine.TakesPromptEmbeddings
        ? new("ar", engine.ModelName, engine.PromptEmbeddingWidth, engine.DeviceName, [TalkerProcessor.HiddenStatesInput], [TalkerProcessor.CodesOutput])
        : new("ar", engine.ModelName, engine.HiddenSize, engine.DeviceName,
        [TokenIdsTensor], [TextOutput, TokenIdsTensor, HiddenStatesTensor, NegativeHiddenStatesTensor])
    {
        ChatTemplate = engine.ChatTemplate is { } chat
            ? new ChatTemplate { Template = chat.Template, BosToken = chat.BosToken, EosToken = chat.EosToken }
            : null,
    };

    protected override Task ProcessAsync(StageCall call) => _talker is { } talker ? talker.ProcessAsync(call) : ProcessTextAsync(call);

    private async Task ProcessTextAsync(StageCall call)
    {
        var cancellationToken = call.CancellationToken;
        var (promptIds, received) = await ReadPromptAsync(call).ConfigureAwait(false);
        var (generation, negative) = Build(call, promptIds);

        var streamText = call.Header.Outputs.Contains(TextOutput);
        var generated = new List<int>();
        var outputs = Channel.CreateUnbounded<GeneratedToken>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        using var requestCancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var submitted = Stopwatch.GetTimestamp();
        var run = engine.GenerateAsync(generation, token =>
        {
            generated.Add(token.TokenId);
            if (streamText)
            {
                outputs.Writer.TryWrite(token); // converted off the engine thread
            }
        }, requestCancellation.Token);
        _ = run.ContinueWith(_ => outputs.Writer.TryComplete(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        Task<GenerationResult>? negativeRun = null;

        GenerationResult result;
        GenerationResult? negativeResult = null;
        try
        {
            if (negative is not null)
            {
                negativeRun = engine.GenerateAsync(negative, null, requestCancellation.Token);
            }
            await foreach (var token in outputs.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                await call.WriteAsync(new StageOutput { Text = ToDelta(token) }).ConfigureAwait(false);
            }
            result = await run.ConfigureAwait(false);
            if (negativeRun is not null)
            {
                negativeResult = await negativeRun.ConfigureAwait(false);
            }
        }
        catch
        {
            // Whatever failed (the call, either run, a full queue), the request's other run must not keep running.
            await requestCancellation.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(new Task?[] { run, negativeRun }.OfType<Task>().Select(task => task.ContinueWith(_ => { }, TaskScheduler.Default)))
                .ConfigureAwait(false);
            throw;
        }

        PhaseSpans.Record("ar", submitted, [("prefill", result.PrefillTime), ("decode", result.DecodeTime)]);

        var chunks = new List<TensorChunk>();
        if (call.Wants(TokenIdsTensor))
        {
            chunks.AddRange(TensorChunker.Chunk(TokenIdsTensor, DataType.Int32, [generated.Count], MemoryMarshal.AsBytes(generated.ToArray().AsSpan()).ToArray()));
        }
        foreach (var (name, states) in new[] { (HiddenStatesTensor, result.HiddenStates), (NegativeHiddenStatesTensor, negativeResult?.HiddenStates) })
        {
            if (states is not null && call.Wants(name))
            {
                chunks.AddRange(TensorChunker.ChunkFloat32(name, states.Data, [states.Tokens, states.Width]));
            }
        }
        var sent = await call.SendTensorsAsync(chunks).ConfigureAwait(false);

        var final = new StageFinal
        {
            FinishReason = result.FinishReason switch
            {
                EngineFinishReason.Stop => FinishReason.Stop,
                EngineFinishReason.Length => FinishReason.Length,
                _ => FinishReason.Abort,
            },
            Usage = new Usage { PromptTokens = (uint)result.PromptTokens, CompletionTokens = (uint)result.CompletionTokens },
        };
        final.Timings.Add(new Timing { Name = "prefill", Milliseconds = result.PrefillTime.TotalMilliseconds });
        final.Timings.Add(new Timing { Name = "decode", Milliseconds = result.DecodeTime.TotalMilliseconds });
        final.ReceivedChunks.AddRange(received);
        sent.WriteTo(final);
        await call.WriteFinalAsync(final).ConfigureAwait(false);
    }

    /// <summary>The prompt's token ids: the upstream stage's token_ids when the call consumes them, else the header's prompt, tokenized.</summary>
    private async Task<(int[] PromptIds, IReadOnlyList<ChunkTiming> Received)> ReadPromptAsync(StageCall call)
    {
        if (!call.Consumes(TokenIdsTensor))
        {
            return (engine.Tokenize(RequestValidator.ValidatePrompt(call.Header.Prompt)), []);
        }
        var inputs = await call.ReceiveInputsAsync(MaxTokenIdsBytes).ConfigureAwait(false);
        var tensor = inputs.Require(TokenIdsTensor);
        if (tensor.Dtype != DataType.Int32 || tensor.Shape.Length != 1 || tensor.Shape[0] < 1 || tensor.Bytes is null)
        {
            throw RequestValidator.Invalid("inputs", $"tensor '{TokenIdsTensor}' must be int32 [tokens] with at least one token, got {tensor.Dtype} [{string.Join(", ", tensor.Shape)}]");
        }
        var ids = MemoryMarshal.Cast<byte, int>(tensor.Bytes).ToArray();
        for (var i = 0; i < ids.Length; i++)
        {
            if (ids[i] < 0 || ids[i] >= engine.VocabSize)
            {
                throw RequestValidator.Invalid("inputs", $"tensor '{TokenIdsTensor}'[{i}] is {ids[i]}, outside the vocabulary [0, {engine.VocabSize})");
            }
        }
        return (ids, inputs.Chunks);
    }

    private TextDelta ToDelta(GeneratedToken generated)
    {
        var delta = new TextDelta { Text = generated.TextDelta };
        delta.TokenIds.Add(generated.TokenId);
        if (generated.Logprob is EngineTokenLogprob logprob)
        {
            var entry = new TokenLogprob { TokenId = logprob.TokenId, Logprob = logprob.Logprob, Token = TokenText(logprob.TokenId) };
            entry.Top.AddRange(logprob.Top.Select(top => new TopLogprob { TokenId = top.TokenId, Logprob = top.Logprob, Token = TokenText(top.TokenId) }));
            delta.Logprobs.Add(entry);
        }
        return delta;
    }

    private string TokenText(int tokenId) => engine.Tokenizer.Decode([tokenId]);

    private (GenerationRequest Request, GenerationRequest? Negative) Build(StageCall call, int[] promptIds)
    {
        var header = call.Header;
        var text = RequestValidator.ValidateText(header.Text);
        if (text.TopK > engine.VocabSize)
        {
            throw RequestValidator.Invalid("text.top_k", $"must be in [0, {engine.VocabSize}] (the vocabulary size), got {text.TopK}");
        }
        for (var i = 0; i < text.StopTokenIds.Count; i++)
        {
            if (text.StopTokenIds[i] >= engine.VocabSize)
            {
                throw RequestValidator.Invalid($"text.stop_token_ids[{i}]", $"must be in [0, {engine.VocabSize}) (the vocabulary), got {text.StopTokenIds[i]}");
            }
        }
        // A request for speech has the thinker write its answer even when no text goes to the client: the talker speaks it.
        var generateText = call.Wants(TextOutput) || call.Wants(TokenIdsTensor) || header.Audio is not null;
        var hiddenStates = call.Wants(HiddenStatesTensor);
        CheckPromptTokens(call.Consumes(TokenIdsTensor) ? "inputs" : "prompt", promptIds.Length, generateText ? text.MaxTokens : 0, text.MaxTokens);
        var request = new GenerationRequest(header.Prompt)
        {
            PromptTokenIds = promptIds,
            MaxTokens = text.MaxTokens,
            Temperature = text.Temperature,
            TopP = text.TopP,
            TopK = text.TopK,
            MinP = text.MinP,
            RepetitionPenalty = text.RepetitionPenalty,
            PresencePenalty = text.PresencePenalty,
            FrequencyPenalty = text.FrequencyPenalty,
            Seed = text.Seed,
            StopStrings = text.Stop,
            StopTokenIds = text.StopTokenIds,
            IgnoreEos = text.IgnoreEos,
            Logprobs = text.Logprobs,
            GenerateText = generateText,
            ReturnHiddenStates = hiddenStates,
        };

        var negativePrompt = header.Image?.NegativePrompt ?? "";
        if (!call.Wants(NegativeHiddenStatesTensor) || negativePrompt.Length == 0)
        {
            return (request, null);
        }
        if (negativePrompt.Length > RequestLimits.MaxPromptCharacters)
        {
            throw RequestValidator.Invalid("image.negative_prompt", $"must be at most {RequestLimits.MaxPromptCharacters} characters, got {negativePrompt.Length}");
        }
        var negativeIds = engine.Tokenize(negativePrompt);
        CheckPromptTokens("image.negative_prompt", negativeIds.Length, 0, 0);
        return (request, new GenerationRequest(negativePrompt) { PromptTokenIds = negativeIds, GenerateText = false, ReturnHiddenStates = true });
    }

    private void CheckPromptTokens(string field, int promptTokens, int newTokens, int maxTokens)
    {
        var tokenLimit = Math.Min(RequestLimits.MaxPromptTokens, engine.MaxPositionEmbeddings - newTokens);
        if (promptTokens > tokenLimit)
        {
            throw RequestValidator.Invalid(field, $"has {promptTokens} tokens; at most {tokenLimit} fit with max_tokens {maxTokens}");
        }
    }
}
