using System.Diagnostics;
using System.Net.Http.Json;
using Grpc.Core;
using Omni.Cli.Client;
using Omni.Cli.Launching;
using Omni.Testing;

namespace Omni.IntegrationTests;

[Collection(TracedPipelineCollection.Name)]
public sealed class TracingTests(TracedPipelineFixture fixture)
{
    private static readonly TimeSpan SpanTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Generate_ClientTraceParent_OneTraceSpansEveryProcessWithParentLinks()
    {
        var (traceId, clientSpan, traceParent) = NewTraceParent();

        var result = await fixture.Client.GenerateAsync(Requests.Both(), traceParent: traceParent);

        var trace = await TraceAsync(traceId, clientSpan, "omni.request", "omni.transfer", "ar.process", "diffusion.process");
        Assert.Equal(traceId, result.Final.TraceId);
        Assert.Equal(["omni-ar-stage", "omni-diffusion-stage", "omni-orchestrator"], trace.Select(span => span.ServiceName).Distinct().Order());
        var byId = trace.ToDictionary(span => span.SpanId);
        Assert.All(trace, span => Assert.True(span.ParentSpanId == clientSpan || byId.ContainsKey(span.ParentSpanId),
            $"{span.ServiceName} {span.Name} has parent {span.ParentSpanId}, not a span of the trace"));
        var request = Single(trace, "omni.request");
        Assert.Equal("omni-default", request.Attributes["omni.model_name"]);
        Assert.Equal(result.RequestId, request.Attributes["omni.request_id"]);
        Assert.Equal("text,image", request.Attributes["omni.outputs"]);
        Assert.Equal(request.SpanId, Single(trace, "omni.queue").ParentSpanId);
    }

    [Fact]
    public async Task Generate_TracedRequest_StageSpansSitUnderTheirStageCallWithIdentity()
    {
        var (traceId, clientSpan, traceParent) = NewTraceParent();

        await fixture.Client.GenerateAsync(Requests.Both(), traceParent: traceParent);

        var trace = await TraceAsync(traceId, clientSpan, "omni.request", "ar.process", "diffusion.process");
        foreach (var (kind, stageId, phases) in new[] { ("ar", "0", new[] { "ar.prefill", "ar.decode" }),
            ("diffusion", "1", new[] { "diffusion.preprocess", "diffusion.denoise", "diffusion.postprocess" }) })
        {
            var process = Single(trace, $"{kind}.process");
            Assert.Equal((kind, stageId, "0"), (process.Attributes["omni.stage.kind"], process.Attributes["omni.stage_id"], process.Attributes["omni.replica_id"]));
            var call = Ancestors(trace, process).First(span => span.Name == "omni.stage_call");
            Assert.Equal(("omni-orchestrator", stageId, kind), (call.ServiceName, call.Attributes["omni.stage_id"], call.Attributes["omni.stage.kind"]));
            Assert.All(phases, phase => Assert.Equal(process.SpanId, Single(trace, phase).ParentSpanId));
            Assert.All(phases, phase => Assert.InRange(Single(trace, phase).Start, process.Start, process.End));
        }
    }

    [Fact]
    public async Task Generate_RelayedRequest_TransferSpanCarriesTheEdge()
    {
        var (traceId, clientSpan, traceParent) = NewTraceParent();

        var result = await fixture.Client.GenerateAsync(Requests.Both(), traceParent: traceParent);

        var transfer = Single(await TraceAsync(traceId, clientSpan, "omni.request"), "omni.transfer");
        var report = Assert.Single(result.Final.Transfers);
        Assert.Equal(("relay", "0", "1", report.Bytes.ToString(System.Globalization.CultureInfo.InvariantCulture), report.Chunks.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            (transfer.Attributes["omni.transfer.connector"], transfer.Attributes["omni.transfer.from_stage"], transfer.Attributes["omni.transfer.to_stage"],
                transfer.Attributes["omni.transfer.bytes"], transfer.Attributes["omni.transfer.chunks"]));
        Assert.Equal(report.DurationMs, (transfer.End - transfer.Start).TotalMilliseconds, 0.01);
    }

    [Fact]
    public async Task Generate_DirectConnector_PushTransferContinuesTheTrace()
    {
        await using var direct = await fixture.Pipeline.StartOrchestratorAsync(["--connector", "direct"], CancellationToken.None);
        using var client = new OmniClient(direct.GrpcAddress);
        var (traceId, clientSpan, traceParent) = NewTraceParent();

        var result = await client.GenerateAsync(Requests.Both(), traceParent: traceParent);

        await fixture.Receiver.WaitForSpansAsync(all => all.Any(span => span.TraceId == traceId && IsPushServer(span)), SpanTimeout);
        var trace = await TraceAsync(traceId, clientSpan, "omni.request", "ar.process", "diffusion.process");
        var push = trace.Single(IsPushServer);
        Assert.Contains(Ancestors(trace, push), span => span.Name == "ar.process");
        var transfer = Single(trace, "omni.transfer");
        Assert.Equal(("direct", Assert.Single(result.Final.Transfers).Connector), (transfer.Attributes["omni.transfer.connector"], "direct"));
        Assert.Equal(32, transfer.Attributes["omni.transfer.id"].Length);
    }

    [Fact]
    public async Task OmniGenerateTrace_AgainstTheServices_PrintsTheTreeOfTheTraceTheyExported()
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { Path.Combine(AppContext.BaseDirectory, "omni.dll"), "generate", "--orchestrator", fixture.Pipeline.Orchestrator.GrpcAddress,
            "--outputs", "text", "image", "--max-tokens", "3", "--width", "64", "--height", "64", "--steps", "2", "--trace",
            "--out", Path.Combine(Path.GetTempPath(), $"omni-trace-test-{Guid.NewGuid():N}") })
        {
            start.ArgumentList.Add(argument);
        }
        using var generate = Process.Start(start)!;
        var printed = await generate.StandardOutput.ReadToEndAsync().WaitAsync(TimeSpan.FromMinutes(2));
        await generate.WaitForExitAsync();

        Assert.True(generate.ExitCode == 0, printed + await generate.StandardError.ReadToEndAsync());
        var traceId = System.Text.RegularExpressions.Regex.Match(printed, "^Trace ([0-9a-f]{32})$", System.Text.RegularExpressions.RegexOptions.Multiline).Groups[1].Value;
        Assert.Matches("(?m)^├─ omni.stage_call ar \\(stage 0, replica 0\\) +[0-9.]+ ms$", printed);
        Assert.Matches("(?m)^│  └─ diffusion.postprocess +[0-9.]+ ms$", printed);
        Assert.Matches("(?m)^└─ omni.transfer 0\\[0\\] -> 1\\[0\\] relay, [0-9]+ B in [0-9]+ chunks +[0-9.]+ ms$", printed);
        await fixture.Receiver.WaitForSpansAsync(all => Has(all, traceId, "omni.request", "ar.process", "diffusion.process"), SpanTimeout);
    }

    [Fact]
    public async Task Generate_NoTraceParent_FinalAndHeaderNameTheNewTrace()
    {
        using var call = fixture.Client.Raw.Generate(Requests.Text());
        var headers = await call.ResponseHeadersAsync;
        var finalTraceId = string.Empty;
        await foreach (var response in call.ResponseStream.ReadAllAsync())
        {
            finalTraceId = response.Final?.TraceId ?? finalTraceId;
        }

        var traceResponse = headers.GetValue("traceresponse");
        Assert.NotNull(traceResponse);
        Assert.Matches("^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$", traceResponse);
        Assert.Equal(traceResponse.Split('-')[1], finalTraceId);
        Assert.NotEqual(new string('0', 32), finalTraceId);
    }

    [Fact]
    public async Task Completions_ClientTraceParent_ResponseHeaderCarriesTheTraceId()
    {
        var (traceId, _, traceParent) = NewTraceParent();
        using var http = new HttpClient();
        using var message = new HttpRequestMessage(HttpMethod.Post, $"{fixture.Pipeline.Orchestrator.HttpAddress}/v1/completions")
        {
            Content = JsonContent.Create(new { model = "omni-default", prompt = "Hello", max_tokens = 2 }),
        };
        message.Headers.Add("traceparent", traceParent);

        using var response = await http.SendAsync(message);

        response.EnsureSuccessStatusCode();
        Assert.Equal(traceId, response.Headers.GetValues("traceresponse").Single().Split('-')[1]);
        await fixture.Receiver.WaitForSpansAsync(all => Has(all, traceId, "omni.request", "ar.decode"), SpanTimeout);
    }

    [Fact]
    public async Task Generate_BackgroundCalls_AreNotTraced()
    {
        var (traceId, _, traceParent) = NewTraceParent();
        await fixture.Client.GenerateAsync(Requests.Text(), traceParent: traceParent);
        await fixture.Receiver.WaitForSpansAsync(all => Has(all, traceId, "ar.decode"), SpanTimeout);

        Assert.DoesNotContain(fixture.Receiver.Spans, span => span.Name.Contains("WatchLoad", StringComparison.Ordinal)
            || span.Name.Contains("GetInfo", StringComparison.Ordinal) || span.Name.Contains("grpc.health", StringComparison.Ordinal)
            || span.Name.Contains("/metrics", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Metrics_SampledRequests_PrometheusStoresTheirTraceIdsAsExemplars()
    {
        var traceIds = new List<string>();
        for (var i = 0; i < 2; i++)
        {
            var (traceId, _, traceParent) = NewTraceParent();
            await fixture.Client.GenerateAsync(Requests.Both(), traceParent: traceParent);
            traceIds.Add(traceId);
        }

        foreach (var family in new[] { "vllm:omni_e2e_request_latency_seconds_bucket", "vllm:omni_diffusion_exec_time_ms_bucket" })
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            IReadOnlyList<string> stored = [];
            while (!traceIds.All(stored.Contains) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(500);
                stored = [.. (await fixture.Prometheus.QueryExemplarsAsync(family, TimeSpan.FromMinutes(10))).Select(exemplar => exemplar.Exemplar["trace_id"])];
            }
            Assert.True(traceIds.Intersect(stored).Any(), $"{family}: exemplars {string.Join(", ", stored)} name none of {string.Join(", ", traceIds)}");
        }
    }

    [Fact]
    public async Task Generate_TracingDisabled_NoSpansLeave()
    {
        await using var receiver = await OtlpTraceReceiver.StartAsync();
        var environment = TracedPipelineFixture.TracingEnvironment(receiver.Endpoint);
        environment["OTEL_SDK_DISABLED"] = "true";
        await using var pipeline = await LocalPipeline.StartAsync(new LocalPipelineOptions { Device = "cpu", Environment = environment }, CancellationToken.None);
        using var client = new OmniClient(pipeline.Orchestrator.GrpcAddress);
        var (traceId, _, traceParent) = NewTraceParent();

        var result = await client.GenerateAsync(Requests.Both(), traceParent: traceParent);
        await client.GenerateAsync(Requests.Text());
        await Task.Delay(TimeSpan.FromSeconds(2)); // twenty export intervals

        Assert.Equal(traceId, result.Final.TraceId);
        Assert.Empty(receiver.Spans);
    }

    [Fact]
    public async Task Generate_SamplerRatioZero_OnlyTheCallersSampledTracesLeave()
    {
        await using var receiver = await OtlpTraceReceiver.StartAsync();
        var environment = TracedPipelineFixture.TracingEnvironment(receiver.Endpoint);
        environment["OTEL_TRACES_SAMPLER"] = "parentbased_traceidratio";
        environment["OTEL_TRACES_SAMPLER_ARG"] = "0";
        await using var pipeline = await LocalPipeline.StartAsync(new LocalPipelineOptions { Device = "cpu", Environment = environment }, CancellationToken.None);
        using var client = new OmniClient(pipeline.Orchestrator.GrpcAddress);
        var (sampledId, _, sampled) = NewTraceParent();

        var unsampled = await client.GenerateAsync(Requests.Text());
        await client.GenerateAsync(Requests.Text(), traceParent: sampled);

        await receiver.WaitForSpansAsync(all => Has(all, sampledId, "omni.request", "ar.process"), SpanTimeout);
        await Task.Delay(TimeSpan.FromSeconds(1)); // ten export intervals for anything of the other trace
        Assert.DoesNotContain(receiver.Spans, span => span.TraceId == unsampled.Final.TraceId);
        Assert.All(receiver.Spans, span => Assert.Equal(sampledId, span.TraceId));
    }

    private static (string TraceId, string SpanId, string TraceParent) NewTraceParent()
    {
        var traceId = ActivityTraceId.CreateRandom().ToHexString();
        var spanId = ActivitySpanId.CreateRandom().ToHexString();
        return (traceId, spanId, $"00-{traceId}-{spanId}-01");
    }

    /// <summary>
    /// The trace's spans once every named span arrived and every span's parent did too (each process exports its spans
    /// in its own batches, in the order they end).
    /// </summary>
    private async Task<List<ReceivedSpan>> TraceAsync(string traceId, string clientSpan, params string[] names)
    {
        var spans = await fixture.Receiver.WaitForSpansAsync(all =>
        {
            var trace = all.Where(span => span.TraceId == traceId).ToList();
            return names.All(name => trace.Any(span => span.Name == name))
                && trace.All(span => span.ParentSpanId == clientSpan || trace.Any(parent => parent.SpanId == span.ParentSpanId));
        }, SpanTimeout);
        return [.. spans.Where(span => span.TraceId == traceId)];
    }

    private static bool IsPushServer(ReceivedSpan span) =>
        span.ServiceName == "omni-diffusion-stage" && span.Kind == "Server" && span.Name.Contains("PushTransfer", StringComparison.Ordinal);

    private static bool Has(IReadOnlyList<ReceivedSpan> spans, string traceId, params string[] names) =>
        names.All(name => spans.Any(span => span.TraceId == traceId && span.Name == name));

    private static ReceivedSpan Single(IEnumerable<ReceivedSpan> spans, string name) => spans.Single(span => span.Name == name);

    private static IEnumerable<ReceivedSpan> Ancestors(IReadOnlyList<ReceivedSpan> trace, ReceivedSpan span)
    {
        var current = span;
        while (trace.FirstOrDefault(candidate => candidate.SpanId == current.ParentSpanId) is { } parent)
        {
            yield return parent;
            current = parent;
        }
    }
}
