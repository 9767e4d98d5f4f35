using System.Threading.Channels;
using Grpc.Core;
using Microsoft.Extensions.Options;
using Omni.ArStage.Engine;
using Omni.Common.Engine;
using Omni.Common.Hosting;
using Omni.Common.Payloads;
using Omni.Common.Transfers;
using Omni.Common.Validation;
using Omni.Contracts.V1;
using EngineFinishReason = Omni.ArStage.Engine.FinishReason;
using EngineTokenLogprob = Omni.ArStage.Engine.TokenLogprob;
using FinishReason = Omni.Contracts.V1.FinishReason;
using TokenLogprob = Omni.Contracts.V1.TokenLogprob;
using TopLogprob = Omni.Contracts.V1.TopLogprob;

namespace Omni.ArStage.Grpc;

/// <summary>
/// Adapts the AR engine to the stage contract: one header in; text deltas as tokens are sampled, the hidden states
/// for the next stage as tensor chunks (and those of the negative prompt, for classifier-free guidance), and a final
/// message out. The request runs in the engine's batch with every other request; cancelling the call (client gone,
/// deadline) drops it from the engine within one step.
/// </summary>
public sealed partial class ArStageService(ArEngine engine, IOptions<StageIdentityOptions> identity) : Stage.StageBase
{
    public const string HiddenStatesTensor = "hidden_states";
    public const string NegativeHiddenStatesTensor = "negative_hidden_states";

    public override Task<StageInfo> GetInfo(GetInfoRequest request, ServerCallContext context) =>
        Task.FromResult(StageHeader.Info(identity.Value, "ar", engine.ModelName, engine.HiddenSize, engine.DeviceName));

    public override async Task Process(IAsyncStreamReader<StageInput> requestStream, IServerStreamWriter<StageOutput> responseStream,
        ServerCallContext context)
    {
        var cancellationToken = context.CancellationToken;
        var header = await StageHeader.ReadAsync(requestStream, context).ConfigureAwait(false);
        var (generation, negative) = Validate(header);

        var outputs = Channel.CreateUnbounded<StageOutput>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        using var requestCancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task<GenerationResult> run;
        Task<GenerationResult>? negativeRun = null;
        try
        {
            run = engine.GenerateAsync(generation, generated =>
            {
                if (header.EmitText)
                {
                    outputs.Writer.TryWrite(new StageOutput { Text = ToDelta(generated) });
                }
            }, requestCancellation.Token);
            if (negative is not null)
            {
                negativeRun = engine.GenerateAsync(negative, null, requestCancellation.Token);
            }
        }
        catch (QueueFullException full)
        {
            await requestCancellation.CancelAsync().ConfigureAwait(false);
            throw new RpcException(new Status(StatusCode.ResourceExhausted, full.Message));
        }
        _ = run.ContinueWith(_ => outputs.Writer.TryComplete(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);

        GenerationResult result;
        GenerationResult? negativeResult = null;
        try
        {
            await foreach (var output in outputs.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                await responseStream.WriteAsync(output, cancellationToken).ConfigureAwait(false);
            }
            result = await run.ConfigureAwait(false);
            if (negativeRun is not null)
            {
                negativeResult = await negativeRun.ConfigureAwait(false);
            }
        }
        catch (Exception exception)
        {
            // Whatever failed, the other half of the request must not keep running in the engine.
            await requestCancellation.CancelAsync().ConfigureAwait(false);
            switch (exception)
            {
                case OperationCanceledException when cancellationToken.IsCancellationRequested:
                    throw new RpcException(new Status(StatusCode.Cancelled, "The request was cancelled."));
                case ArgumentException argument:
                    throw new RpcException(new Status(StatusCode.InvalidArgument, argument.Message));
            }
            // An RpcException as it is; anything else is logged and mapped by UnexpectedFailureInterceptor.
            throw;
        }

        var sent = header.EmitHiddenStates
            ? await SendHiddenStatesAsync(header, context, responseStream,
                [(HiddenStatesTensor, result.HiddenStates), (NegativeHiddenStatesTensor, negativeResult?.HiddenStates)], cancellationToken)
                .ConfigureAwait(false)
            : SentPayload.None;

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
        sent.WriteTo(final);
        await responseStream.WriteLastAsync(new StageOutput { Final = final }, cancellationToken).ConfigureAwait(false);
    }

    private static TextDelta ToDelta(GeneratedToken generated)
    {
        var delta = new TextDelta { Text = generated.TextDelta };
        delta.TokenIds.Add(generated.TokenId);
        if (generated.Logprob is EngineTokenLogprob logprob)
        {
            var entry = new TokenLogprob { TokenId = logprob.TokenId, Logprob = logprob.Logprob };
            entry.Top.AddRange(logprob.Top.Select(top => new TopLogprob { TokenId = top.TokenId, Logprob = top.Logprob }));
            delta.Logprobs.Add(entry);
        }
        return delta;
    }

    private (GenerationRequest Request, GenerationRequest? Negative) Validate(StageRequest header)
    {
        var prompt = RequestValidator.ValidatePrompt(header.Prompt);
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
        if (!header.EmitText && !header.EmitHiddenStates)
        {
            throw RequestValidator.Invalid("header", "must ask for text (emit_text) or hidden states (emit_hidden_states)");
        }
        CheckPromptTokens("prompt", prompt, header.EmitText ? text.MaxTokens : 0, text.MaxTokens);
        var request = new GenerationRequest(prompt)
        {
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
            GenerateText = header.EmitText,
            ReturnHiddenStates = header.EmitHiddenStates,
        };

        var negativePrompt = header.Image?.NegativePrompt ?? "";
        if (!header.EmitHiddenStates || negativePrompt.Length == 0)
        {
            return (request, null);
        }
        if (negativePrompt.Length > RequestLimits.MaxPromptCharacters)
        {
            throw RequestValidator.Invalid("image.negative_prompt", $"must be at most {RequestLimits.MaxPromptCharacters} characters, got {negativePrompt.Length}");
        }
        CheckPromptTokens("image.negative_prompt", negativePrompt, 0, 0);
        return (request, new GenerationRequest(negativePrompt) { GenerateText = false, ReturnHiddenStates = true });
    }

    private void CheckPromptTokens(string field, string prompt, int newTokens, int maxTokens)
    {
        var promptTokens = engine.CountTokens(prompt);
        var tokenLimit = Math.Min(RequestLimits.MaxPromptTokens, engine.MaxPositionEmbeddings - newTokens);
        if (promptTokens > tokenLimit)
        {
            throw RequestValidator.Invalid(field, $"has {promptTokens} tokens; at most {tokenLimit} fit with max_tokens {maxTokens}");
        }
    }
}
