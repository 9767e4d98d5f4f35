using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Omni.Code2Wav.Engine;
using Omni.Code2WavStage.Configuration;
using Omni.Code2WavStage.Encoding;
using Omni.Common.Payloads;
using Omni.Common.Stages;
using Omni.Common.Tracing;
using Omni.Common.Validation;
using Omni.Contracts.V1;

namespace Omni.Code2WavStage.Grpc;

/// <summary>
/// Adapts the vocoder loop to the stage contract: in, the talker's <c>codes</c>, a streamed int32 tensor (relayed or
/// pushed) whose chunks are decoded as they arrive, each with the left context it needs (so that the samples are
/// those of decoding the whole sequence at once), batched with other requests' chunks by the loop; out, the
/// <c>audio</c> in the request's format, chunk by chunk in order, and a final message with the decode time.
/// </summary>
public sealed class Code2WavStageService(Code2WavEngine engine, Code2WavEngineLoop loop, StageHost host, IOptions<Code2WavStageOptions> options)
    : StageServiceBase(host)
{
    public const string CodesInput = "codes";
    public const string AudioOutput = "audio";

    protected override StageDescription Description { get; } = new("code2wav", engine.ModelName, 0, engine.DeviceName, [CodesInput], [AudioOutput]);

    protected override async Task ProcessAsync(StageCall call)
    {
        var audio = RequestValidator.ValidateAudio(call.Header.Audio);
        if (!call.Consumes(CodesInput))
        {
            throw RequestValidator.Invalid("inputs", $"must name '{CodesInput}', the codec frames to decode");
        }
        var encoder = new AudioStreamEncoder(audio.Format, engine.SampleRate);
        var decoder = engine.OpenStream();
        var received = new List<ChunkTiming>();
        var decoded = Channel.CreateUnbounded<Task<float[]>>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(call.CancellationToken);
        using var slots = new SemaphoreSlim(options.Value.MaxChunksPerRequest);
        var started = Stopwatch.GetTimestamp();
        var maxFrames = audio.MaxFrames((double)engine.SampleRate / engine.Config.HopLength);

        // Chunks are queued for decoding as they arrive (up to MaxChunksPerRequest at once) and written in order as
        // their samples come back, so that the vocoder decodes one chunk while the previous one is encoded and sent.
        var submit = Task.Run(async () =>
        {
            try
            {
                var (frames, admitted) = (0L, false);
                await foreach (var rows in call.StreamInputAsync(options.Value.MaxCodesBytes, received).WithCancellation(cancellation.Token).ConfigureAwait(false))
                {
                    var codes = Codes(rows);
                    frames += codes.Count;
                    if (frames > maxFrames)
                    {
                        throw RequestValidator.Invalid("audio.max_duration_seconds",
                            $"allows {maxFrames} codec frames at {engine.SampleRate / (double)engine.Config.HopLength:0.##} frames/s, but the codes reached {frames}");
                    }
                    var job = decoder.Prepare(codes);
                    await slots.WaitAsync(cancellation.Token).ConfigureAwait(false);
                    // Only the first chunk can find the queue full: a request is refused before any of its audio, never
                    // midway; its later chunks are bounded by MaxChunksPerRequest.
                    decoded.Writer.TryWrite(loop.SubmitAsync(job, cancellation.Token, admitted));
                    admitted = true;
                }
                decoded.Writer.TryComplete();
            }
            catch (Exception error)
            {
                decoded.Writer.TryComplete(error);
            }
        }, CancellationToken.None);

        try
        {
            await foreach (var pending in decoded.Reader.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
            {
                var samples = await pending.ConfigureAwait(false);
                if (encoder.Add(samples) is { } chunk)
                {
                    await call.WriteAsync(new StageOutput { Audio = chunk }).ConfigureAwait(false);
                }
                slots.Release();
            }
            if (encoder.Finish() is { } last)
            {
                await call.WriteAsync(new StageOutput { Audio = last }).ConfigureAwait(false);
            }
        }
        catch
        {
            // Whatever failed, the chunks still queued in the loop must not be decoded for nobody.
            await cancellation.CancelAsync().ConfigureAwait(false);
            throw;
        }
        finally
        {
            await submit.ConfigureAwait(false);
        }
        var elapsed = Stopwatch.GetElapsedTime(started);
        PhaseSpans.Record("code2wav", started, [("decode", elapsed)]);

        var final = new StageFinal { FinishReason = FinishReason.Stop, Usage = new Usage() };
        final.Timings.Add(new Timing { Name = "decode", Milliseconds = elapsed.TotalMilliseconds });
        final.ReceivedChunks.AddRange(received);
        await call.WriteFinalAsync(final).ConfigureAwait(false);
    }

    /// <summary>
    /// The frames of one chunk: int32 rows of no further shape, every code in the codebook, at most a talker's largest
    /// chunk (each chunk is decoded in one pass, whose memory grows with its length).
    /// </summary>
    private List<int> Codes(StreamedRows rows)
    {
        if (rows.Dtype != DataType.Int32 || rows.RowShape.Length != 0)
        {
            throw RequestValidator.Invalid("chunk", $"tensor '{rows.Name}' must be int32 [frames], got {rows.Dtype} [0, {string.Join(", ", rows.RowShape)}]");
        }
        if (rows.Data.Length / sizeof(int) > RequestLimits.MaxAudioChunkFrames)
        {
            throw RequestValidator.Invalid("chunk",
                $"tensor '{rows.Name}' has a chunk of {rows.Data.Length / sizeof(int)} frames; at most {RequestLimits.MaxAudioChunkFrames} (audio.chunk_frames' bound)");
        }
        var codes = MemoryMarshal.Cast<byte, int>(rows.Data).ToArray().ToList();
        for (var i = 0; i < codes.Count; i++)
        {
            if (codes[i] < 0 || codes[i] >= engine.CodebookSize)
            {
                throw RequestValidator.Invalid("chunk", $"tensor '{rows.Name}' has code {codes[i]}, outside the vocoder's codebook [0, {engine.CodebookSize})");
            }
        }
        return codes;
    }
}
