using System.Diagnostics;
using System.Threading.Channels;
using Grpc.Core;
using Microsoft.Extensions.Options;
using Omni.ArStage.Engine;
using Omni.ArStage.Metrics;
using Omni.Common.Engine;
using Omni.Common.Hosting;
using Omni.Common.Payloads;
using Omni.Common.Validation;
using Omni.Contracts.V1;
using EngineFinishReason = Omni.ArStage.Engine.FinishReason;
using FinishReason = Omni.Contracts.V1.FinishReason;

namespace Omni.ArStage.Grpc;

/// <summary>
/// Adapts the AR engine to the stage contract: one header in; text deltas as tokens are sampled, the hidden states
/// for the next stage as tensor chunks, and a final message out.
/// </summary>
public sealed class ArStageService(ArEngine engine, EngineWorkQueue queue, IArStageObserver observer, IOptions<StageIdentityOptions> identity)
    : Stage.StageBase
{
    public const string HiddenStatesTensor = "hidden_states";

    public override Task<StageInfo> GetInfo(GetInfoRequest request, ServerCallContext context) =>
        Task.FromResult(new StageInfo
        {
            Kind = "ar",
            StageId = (uint)identity.Value.StageId,
            ReplicaId = (uint)identity.Value.ReplicaId,
            ModelName = engine.ModelName,
            HiddenSize = (uint)engine.HiddenSize,
            Device = engine.DeviceName,
        });

    public override async Task Process(IAsyncStreamReader<StageInput> requestStream, IServerStreamWriter<StageOutput> responseStream,
        ServerCallContext context)
    {
        var arrival = Stopwatch.GetTimestamp();
        var cancellationToken = context.CancellationToken;
        if (!await requestStream.MoveNext(cancellationToken).ConfigureAwait(false) || requestStream.Current.KindCase != StageInput.KindOneofCase.Header)
        {
            throw RequestValidator.Invalid("header", "must be the first message of the stream");
        }
        var header = requestStream.Current.Header;
        var generation = Validate(header);
        var requestObserver = observer.StartRequest(arrival, generation.MaxTokens);

        var outputs = Channel.CreateUnbounded<StageOutput>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        Task<GenerationResult> run;
        try
        {
            run = queue.RunAsync((queueTime, token) =>
            {
                requestObserver.OnScheduled(queueTime);
                return engine.Generate(generation, generated =>
                {
                    requestObserver.OnToken();
                    if (header.EmitText)
                    {
                        var delta = new TextDelta { Text = generated.TextDelta };
                        delta.TokenIds.Add(generated.TokenId);
                        outputs.Writer.TryWrite(new StageOutput { Text = delta });
                    }
                }, token);
            }, cancellationToken);
        }
        catch (QueueFullException full)
        {
            requestObserver.OnAborted();
            throw new RpcException(new Status(StatusCode.ResourceExhausted, full.Message));
        }
        _ = run.ContinueWith(_ => outputs.Writer.TryComplete(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);

        GenerationResult result;
        try
        {
            await foreach (var output in outputs.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                await responseStream.WriteAsync(output, cancellationToken).ConfigureAwait(false);
            }
            result = await run.ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            requestObserver.OnAborted();
            throw exception switch
            {
                OperationCanceledException when cancellationToken.IsCancellationRequested =>
                    new RpcException(new Status(StatusCode.Cancelled, "The request was cancelled.")),
                ArgumentException argument => new RpcException(new Status(StatusCode.InvalidArgument, argument.Message)),
                RpcException rpc => rpc,
                _ => new RpcException(new Status(StatusCode.Internal, $"The AR engine failed: {exception.Message}")),
            };
        }
        requestObserver.OnFinished(result);

        if (header.EmitHiddenStates && result.HiddenStates is { } hidden)
        {
            foreach (var chunk in TensorChunker.ChunkFloat32(HiddenStatesTensor, hidden.Data, [hidden.Tokens, hidden.Width]))
            {
                await responseStream.WriteAsync(new StageOutput { Chunk = chunk }, cancellationToken).ConfigureAwait(false);
            }
        }

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
        await responseStream.WriteAsync(new StageOutput { Final = final }, cancellationToken).ConfigureAwait(false);
    }

    private GenerationRequest Validate(StageRequest header)
    {
        var prompt = RequestValidator.ValidatePrompt(header.Prompt);
        var text = RequestValidator.ValidateText(header.Text);
        if (text.TopK > engine.VocabSize)
        {
            throw RequestValidator.Invalid("text.top_k", $"must be in [0, {engine.VocabSize}] (the vocabulary size), got {text.TopK}");
        }
        if (!header.EmitText && !header.EmitHiddenStates)
        {
            throw RequestValidator.Invalid("header", "must ask for text (emit_text) or hidden states (emit_hidden_states)");
        }
        var promptTokens = engine.CountTokens(prompt);
        var tokenLimit = Math.Min(RequestLimits.MaxPromptTokens, engine.MaxPositionEmbeddings - (header.EmitText ? text.MaxTokens : 0));
        if (promptTokens > tokenLimit)
        {
            throw RequestValidator.Invalid("prompt", $"has {promptTokens} tokens; at most {tokenLimit} fit with max_tokens {text.MaxTokens}");
        }
        return new GenerationRequest(prompt)
        {
            MaxTokens = text.MaxTokens,
            Temperature = text.Temperature,
            TopP = text.TopP,
            TopK = text.TopK,
            Seed = text.Seed,
            StopStrings = text.Stop,
            GenerateText = header.EmitText,
            ReturnHiddenStates = header.EmitHiddenStates,
        };
    }
}
