using System.Diagnostics;
using Grpc.Core;
using Omni.Contracts.V1;
using Omni.Orchestrator.Graph;
using Omni.Orchestrator.Pipeline;
using Omni.Orchestrator.Tests.Support;
using static Omni.Orchestrator.Tests.Support.TestGraphs;

namespace Omni.Orchestrator.Tests;

public sealed class GraphRunnerTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private static readonly byte[] Payload = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];

    [Fact]
    public async Task RunAsync_ThreeStageChain_EachStageTransformsItsUpstreamsTensorAndTheClientGetsTheLast()
    {
        var stages = new FakeStages()
            .Add("a", FakeHandlers.Emit("x", Payload))
            .Add("b", FakeHandlers.Transform("y", data => [.. data.Select(value => (byte)(value * 2))]))
            .Add("c", FakeHandlers.ToImage());
        var client = new ClientRecorder();

        await RunAsync(Chain(), stages, client, Modality.Image);

        var image = Assert.Single(client.Responses, response => response.PayloadCase == GenerateResponse.PayloadOneofCase.Image).Image;
        Assert.Equal(Payload.Select(value => (byte)(value * 2)), image.Data.ToByteArray());
    }

    [Fact]
    public async Task RunAsync_ThreeStageChain_HeadersNameEachCallsInputsAndOutputs()
    {
        StageRequest? middle = null;
        StageRequest? last = null;
        var stages = new FakeStages()
            .Add("a", FakeHandlers.Emit("x", Payload))
            .Add("b", FakeHandlers.Transform("y", data => data, header => middle = header))
            .Add("c", FakeHandlers.ToImage(header => last = header));

        await RunAsync(Chain(), stages, new ClientRecorder(), Modality.Image);

        Assert.Equal("x > y, y > image", $"{string.Join(",", middle!.Inputs)} > {string.Join(",", middle.Outputs)}, " +
            $"{string.Join(",", last!.Inputs)} > {string.Join(",", last.Outputs)}");
    }

    [Fact]
    public async Task RunAsync_ThreeStageChain_FinalHasAReportPerStageAndEdge()
    {
        var stages = new FakeStages()
            .Add("a", FakeHandlers.Emit("x", Payload))
            .Add("b", FakeHandlers.Transform("y", data => [.. data, .. data]))
            .Add("c", FakeHandlers.ToImage());

        var final = await RunAsync(Chain(), stages, new ClientRecorder(), Modality.Image);

        Assert.Equal([("a", 0u, 10u), ("b", 1u, 11u), ("c", 2u, 12u)], final.Stages.Select(stage => (stage.Stage, stage.StageId, stage.ReplicaId)));
        Assert.Equal([(0u, 10u, 1u, 11u, 3u, 10ul), (1u, 11u, 2u, 12u, 5u, 20ul)],
            final.Transfers.Select(edge => (edge.FromStage, edge.FromReplica, edge.ToStage, edge.ToReplica, edge.Chunks, edge.Bytes)));
        Assert.Equal(("relay", FinishReason.Stop, 1u), (final.Transfers[0].Connector, final.FinishReason, final.Usage.PromptTokens));
    }

    [Fact]
    public async Task RunAsync_ThreeStageChain_ObservesEveryStageEdgeChunkAndImage()
    {
        var stages = new FakeStages()
            .Add("a", FakeHandlers.Emit("x", Payload))
            .Add("b", FakeHandlers.Transform("y", data => data))
            .Add("c", FakeHandlers.ToImage());
        var observer = new RecordingObserver();

        await RunAsync(Chain(), stages, new ClientRecorder(), Modality.Image, observer);

        Assert.Equal([(0, 10u), (1, 11u), (2, 12u)], observer.StagesCompleted.Order());
        Assert.Equal([(0, 10u, 1, 11u, 10ul), (1, 11u, 2, 12u, 10ul)], observer.TransferChunks
            .GroupBy(chunk => (chunk.FromStage, chunk.FromReplica, chunk.ToStage, chunk.ToReplica))
            .Select(edge => (edge.Key.FromStage, edge.Key.FromReplica, edge.Key.ToStage, edge.Key.ToReplica, (ulong)edge.Sum(chunk => (long)chunk.Bytes))));
        Assert.Equal([(2, 3)], observer.Images);
    }

    [Fact]
    public async Task RunAsync_FanOut_BothConsumersGetTheWholeTensorAndTheClientBothOutputs()
    {
        var graph = FanOut();
        var stages = new FakeStages()
            .Add("a", FakeHandlers.Emit("x", Payload))
            .Add("t", FakeHandlers.ToText())
            .Add("i", FakeHandlers.ToImage());
        var client = new ClientRecorder();

        var final = await RunAsync(graph, stages, client, Modality.Text, Modality.Image);

        Assert.Equal("1,2,3,4,5,6,7,8,9,10", client.Responses.Single(response => response.Text is not null).Text.Text);
        Assert.Equal(Payload, client.Responses.Single(response => response.Image is not null).Image.Data.ToByteArray());
        Assert.Equal([(0u, 1u, 10ul), (0u, 2u, 10ul)], final.Transfers.Select(edge => (edge.FromStage, edge.ToStage, edge.Bytes)));
    }

    [Fact]
    public async Task RunAsync_TextOnlyOfAFanOut_RunsOnlyTheTextBranch()
    {
        var graph = FanOut();
        var stages = new FakeStages()
            .Add("a", FakeHandlers.Emit("x", Payload))
            .Add("t", FakeHandlers.ToText())
            .Add("i", (_, _, _, _) => throw new RpcException(new Status(StatusCode.Internal, "the image branch must not run")));

        var final = await RunAsync(graph, stages, new ClientRecorder(), Modality.Text);

        Assert.Equal(["a", "t"], final.Stages.Select(stage => stage.Stage));
    }

    [Fact]
    public async Task RunAsync_PartialInputEdge_DownstreamReceivesAChunkBeforeTheUpstreamFinishes()
    {
        var sawFirstChunk = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var stages = new FakeStages()
            .Add("a", async (_, _, output, _) =>
            {
                await FakeHandlers.WriteTensorAsync(output, "x", Payload);
                // Finishes only once the next stage has seen input: with a whole-payload edge this would time out.
                await sawFirstChunk.Task.WaitAsync(Patience);
                await output.WriteAsync(new StageOutput { Final = FakeHandlers.Final() });
            })
            .Add("b", async (_, input, output, token) =>
            {
                await input.MoveNext(token);
                var first = input.Current.Chunk.Data.ToByteArray();
                sawFirstChunk.TrySetResult();
                var rest = await FakeHandlers.ReadAllAsync(input, token);
                await FakeHandlers.WriteTensorAsync(output, "y", [.. first, .. rest]);
                await output.WriteAsync(new StageOutput { Final = FakeHandlers.Final() });
            })
            .Add("c", FakeHandlers.ToImage());
        var client = new ClientRecorder();

        await RunAsync(Chain(partial: true), stages, client, Modality.Image);

        Assert.Equal(Payload, client.Responses.Single(response => response.Image is not null).Image.Data.ToByteArray());
    }

    [Fact]
    public async Task RunAsync_WholePayloadEdge_DownstreamReceivesNothingBeforeTheUpstreamsFinal()
    {
        var events = new List<string>();
        var stages = new FakeStages()
            .Add("a", async (_, _, output, _) =>
            {
                await FakeHandlers.WriteTensorAsync(output, "x", Payload);
                await Task.Delay(200);
                lock (events)
                {
                    events.Add("a final");
                }
                await output.WriteAsync(new StageOutput { Final = FakeHandlers.Final() });
            })
            .Add("b", async (_, input, output, token) =>
            {
                await input.MoveNext(token);
                lock (events)
                {
                    events.Add("b input");
                }
                var first = input.Current.Chunk.Data.ToByteArray();
                var rest = await FakeHandlers.ReadAllAsync(input, token);
                await FakeHandlers.WriteTensorAsync(output, "y", [.. first, .. rest]);
                await output.WriteAsync(new StageOutput { Final = FakeHandlers.Final() });
            })
            .Add("c", FakeHandlers.ToImage());

        await RunAsync(Chain(partial: false), stages, new ClientRecorder(), Modality.Image);

        Assert.Equal(["a final", "b input"], events);
    }

    [Fact]
    public async Task RunAsync_FailingMiddleStage_FailsWithItsStatusCancelsTheLastAndReleasesEveryReplica()
    {
        var stages = new FakeStages()
            .Add("a", FakeHandlers.Emit("x", Payload))
            .Add("b", async (_, input, _, token) =>
            {
                await FakeHandlers.ReadAllAsync(input, token);
                throw new RpcException(new Status(StatusCode.InvalidArgument, "tensor 'x' is too short"));
            })
            .Add("c", async (_, input, _, token) =>
            {
                await FakeHandlers.ReadAllAsync(input, token);
                await Task.Delay(Timeout.Infinite, token);
            });

        var error = await Assert.ThrowsAsync<RpcException>(() => RunAsync(Chain(), stages, new ClientRecorder(), Modality.Image));

        Assert.Equal((StatusCode.InvalidArgument, "tensor 'x' is too short"), (error.StatusCode, error.Status.Detail));
        // Cancelled whether its handler had started or not (b can fail before c's call has delivered its header).
        Assert.Equal(StatusCode.Cancelled, (await stages.EndedAsync("c").WaitAsync(Patience)).StatusCode);
        Assert.Equal(0, stages.Held);
    }

    [Fact]
    public async Task RunAsync_ClientCancelsMidEdge_EveryStageCallIsCancelledAndEveryReplicaReleased()
    {
        var upstreamCancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var downstreamCancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var midEdge = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var stages = new FakeStages()
            .Add("a", async (_, _, output, token) =>
            {
                using var registration = token.Register(() => upstreamCancelled.TrySetResult());
                await FakeHandlers.WriteTensorAsync(output, "x", [1, 2, 3, 4]);
                await Task.Delay(Timeout.Infinite, token);
            })
            .Add("b", async (_, input, _, token) =>
            {
                using var registration = token.Register(() => downstreamCancelled.TrySetResult());
                await input.MoveNext(token);
                midEdge.TrySetResult();
                await Task.Delay(Timeout.Infinite, token);
            })
            .Add("c", FakeHandlers.ToImage());
        using var cancellation = new CancellationTokenSource();
        var run = RunAsync(Chain(partial: true), stages, new ClientRecorder(), [Modality.Image], new RecordingObserver(), cancellation.Token);

        await midEdge.Task.WaitAsync(Patience);
        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<Exception>(() => run);
        await Task.WhenAll(upstreamCancelled.Task, downstreamCancelled.Task).WaitAsync(Patience);
        Assert.Equal(0, stages.Held);
    }

    [Fact]
    public async Task RunAsync_TwoImages_FirstImageObservedOnceEachImageCounted()
    {
        var stages = new FakeStages().Add("i", async (_, _, output, _) =>
        {
            await output.WriteAsync(new StageOutput { Image = new Image { Width = 2, Height = 3, Index = 0 } });
            await output.WriteAsync(new StageOutput { Image = new Image { Width = 2, Height = 3, Index = 1 } });
            await output.WriteAsync(new StageOutput { Final = FakeHandlers.Final() });
        });
        var observer = new RecordingObserver();

        await RunAsync(Build(Stage("i", 0, ["image"], ["image"])), stages, new ClientRecorder(), Modality.Image, observer);

        Assert.Equal((1, 2), (observer.FirstImages, observer.Images.Count));
    }

    [Fact]
    public async Task RunAsync_FirstStageUnavailableBeforeItsOutput_RetriedOnAnotherReplica()
    {
        var spareCalled = false;
        var stages = new FakeStages()
            .Add("a", (_, _, _, _) => throw new RpcException(new Status(StatusCode.Unavailable, "gone")))
            .AddSpare("a", async (header, input, output, token) =>
            {
                spareCalled = true;
                await FakeHandlers.Emit("x", Payload)(header, input, output, token);
            })
            .Add("b", FakeHandlers.Transform("y", data => data))
            .Add("c", FakeHandlers.ToImage());

        var final = await RunAsync(Chain(), stages, new ClientRecorder(), Modality.Image);

        Assert.Equal((true, 20u), (spareCalled, final.Stages[0].ReplicaId));
    }

    [Fact]
    public async Task RunAsync_FirstStagePushingDirectUnavailable_NotRetriedAndFailsUnavailable()
    {
        // Its replica may have pushed part of the tensor under the request's one transfer id before it failed: a second
        // producer of that id would be refused by the consumer, so the request fails instead.
        var spareCalled = false;
        var stages = new FakeStages()
            .Add("a", (_, _, _, _) => throw new RpcException(new Status(StatusCode.Unavailable, "gone")))
            .AddSpare("a", (_, _, _, _) =>
            {
                spareCalled = true;
                return Task.CompletedTask;
            })
            .Add("b", FakeHandlers.Transform("y", data => data))
            .Add("c", FakeHandlers.ToImage());
        var graph = Build(
            Stage("a", 0, ["x"]),
            Stage("b", 1, ["y"], null, From("a", "x", connector: Configuration.Connector.Direct)),
            Stage("c", 2, ["image"], ["image"], From("b", "y")));

        var error = await Assert.ThrowsAsync<RpcException>(() => RunAsync(graph, stages, new ClientRecorder(), Modality.Image));

        Assert.Equal((StatusCode.Unavailable, false, 0), (error.StatusCode, spareCalled, stages.Held));
    }

    private static Task<GenerateFinal> RunAsync(PipelineGraph graph, FakeStages stages, ClientRecorder client, params Modality[] outputs) =>
        RunAsync(graph, stages, client, outputs, new RecordingObserver());

    private static Task<GenerateFinal> RunAsync(PipelineGraph graph, FakeStages stages, ClientRecorder client, Modality output, RecordingObserver observer) =>
        RunAsync(graph, stages, client, [output], observer);

    private static Task<GenerateFinal> RunAsync(PipelineGraph graph, FakeStages stages, ClientRecorder client, Modality[] outputs,
        RecordingObserver observer, CancellationToken cancellationToken = default)
    {
        var request = new GenerateRequest { Prompt = "a prompt" };
        request.Outputs.AddRange(outputs);
        var runner = new GraphRunner(graph, stages, observer);
        var validated = ValidatedRequest.From(request);
        return runner.RunAsync(validated, runner.Plan(validated), Stopwatch.GetTimestamp(), TimeSpan.Zero, client, null, cancellationToken);
    }
}
