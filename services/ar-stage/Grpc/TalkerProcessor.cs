using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading.Channels;
using Omni.ArStage.Engine;
using Omni.Common.Payloads;
using Omni.Common.Stages;
using Omni.Common.Tracing;
using Omni.Common.Validation;
using Omni.Contracts.V1;
using EngineFinishReason = Omni.ArStage.Engine.FinishReason;
using FinishReason = Omni.Contracts.V1.FinishReason;

namespace Omni.ArStage.Grpc;

/// <summary>
/// One call of an AR stage that serves a talker: in, the thinker's <c>hidden_states</c> as the prompt's embeddings;
/// out, the <c>codes</c> it samples with the request's audio parameters, a streamed int32 tensor handed on in chunks of
/// <c>audio.chunk_frames</c> as they are sampled (end-of-speech is not a code), then a final message. At most
/// <c>audio.max_duration_seconds</c> times the checkpoint's codec frame rate frames are sampled.
/// </summary>
public sealed class TalkerProcessor(ArEngine engine)
{
    public const string HiddenStatesInput = "hidden_states";
    public const string CodesOutput = "codes";

    /// <summary>Largest hidden-states prompt accepted: the thinker's longest context at a generous width.</summary>
    private const long MaxHiddenStatesBytes = 256L << 20;

    public async Task ProcessAsync(StageCall call)
    {
        var audio = RequestValidator.ValidateAudio(call.Header.Audio);
        if (audio.TopK > engine.VocabSize)
        {
            throw RequestValidator.Invalid("audio.top_k", $"must be in [0, {engine.VocabSize}] (the talker's vocabulary size), got {audio.TopK}");
        }
        if (!call.Consumes(HiddenStatesInput))
        {
            throw RequestValidator.Invalid("inputs", $"must name '{HiddenStatesInput}', the thinker's states a talker speaks from");
        }
        var inputs = await call.ReceiveInputsAsync(MaxHiddenStatesBytes).ConfigureAwait(false);
        var states = RequireStates(inputs.Require(HiddenStatesInput));
        var rows = (int)states.Shape[0];
        var maxFrames = audio.MaxFrames(engine.CodecFrameRate!.Value);
        if (rows + maxFrames > engine.MaxPositionEmbeddings)
        {
            throw RequestValidator.Invalid("audio.max_duration_seconds",
                $"allows {maxFrames} codec frames, but after the thinker's {rows} positions the talker has room for {Math.Max(0, engine.MaxPositionEmbeddings - rows)}");
        }
        var request = new GenerationRequest("")
        {
            PromptEmbeddings = new PromptEmbeddings(states.Float32!, rows, (int)states.Shape[1]),
            MaxTokens = maxFrames,
            Temperature = audio.Temperature,
            TopP = audio.TopP,
            TopK = audio.TopK,
            RepetitionPenalty = audio.RepetitionPenalty,
            Seed = audio.Seed,
        };

        var codes = Channel.CreateUnbounded<int>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(call.CancellationToken);
        var submitted = Stopwatch.GetTimestamp();
        var run = engine.GenerateAsync(request, token =>
        {
            if (!engine.EosTokenIds.Contains(token.TokenId))
            {
                codes.Writer.TryWrite(token.TokenId);
            }
        }, cancellation.Token);
        _ = run.ContinueWith(task => codes.Writer.TryComplete(task.IsCompletedSuccessfully ? null
                : task.Exception?.InnerException ?? new OperationCanceledException(cancellation.Token)),
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

        GenerationResult result;
        Common.Transfers.SentTensors sent;
        try
        {
            sent = await call.StreamTensorsAsync(Chunks(codes.Reader, audio.ChunkFrames, cancellation.Token)).ConfigureAwait(false);
            result = await run.ConfigureAwait(false);
        }
        catch
        {
            // The call or the hand-on failed: the talker's sequence must leave the engine (its KV blocks freed) now.
            await cancellation.CancelAsync().ConfigureAwait(false);
            await run.ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
            throw;
        }
        PhaseSpans.Record("ar", submitted, [("prefill", result.PrefillTime), ("decode", result.DecodeTime)]);

        var final = new StageFinal
        {
            FinishReason = result.FinishReason == EngineFinishReason.Length ? FinishReason.Length : FinishReason.Stop,
            Usage = new Usage { PromptTokens = (uint)result.PromptTokens, CompletionTokens = (uint)result.CompletionTokens },
        };
        final.Timings.Add(new Timing { Name = "prefill", Milliseconds = result.PrefillTime.TotalMilliseconds });
        final.Timings.Add(new Timing { Name = "decode", Milliseconds = result.DecodeTime.TotalMilliseconds });
        final.ReceivedChunks.AddRange(inputs.Chunks);
        sent.WriteTo(final);
        await call.WriteFinalAsync(final).ConfigureAwait(false);
    }

    /// <summary>The codes as a streamed tensor: a chunk every <paramref name="chunkFrames"/> codes, the rest with the last.</summary>
    private static async IAsyncEnumerable<TensorChunk> Chunks(ChannelReader<int> codes, int chunkFrames,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var writer = new StreamedTensorWriter(CodesOutput, DataType.Int32, []);
        var pending = new List<int>(chunkFrames);
        await foreach (var code in codes.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            pending.Add(code);
            if (pending.Count == chunkFrames)
            {
                yield return writer.Next(Bytes(pending));
                pending.Clear();
            }
        }
        yield return writer.Finish(Bytes(pending));
    }

    private static byte[] Bytes(List<int> codes) => MemoryMarshal.AsBytes(CollectionsMarshal.AsSpan(codes)).ToArray();

    private ReceivedTensor RequireStates(ReceivedTensor tensor) =>
        TensorRequirements.RequireFloat32Rows(tensor, engine.PromptEmbeddingWidth, "the talker's prompt width");
}
