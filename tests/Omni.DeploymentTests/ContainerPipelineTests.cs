using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Grpc.Core;
using Omni.Contracts.V1;
using Omni.Testing;
using Xunit.Abstractions;

namespace Omni.DeploymentTests;

/// <summary>The images, built from the Dockerfiles and run as the compose file runs them, serving end to end.</summary>
[Collection(ContainerPipelineCollection.Name)]
public sealed partial class ContainerPipelineTests(ContainerPipelineFixture fixture, ITestOutputHelper output)
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    private static GenerateRequest TextAndImage(ulong seed = 5)
    {
        var request = new GenerateRequest
        {
            Prompt = "A small house by the sea",
            Text = new TextParams { MaxTokens = 6, Seed = seed },
            Image = new ImageParams { Width = 64, Height = 64, NumInferenceSteps = 3, Seed = seed },
        };
        request.Outputs.Add(Modality.Text);
        request.Outputs.Add(Modality.Image);
        return request;
    }

    /// <summary>Speech of a short answer: thinker, talker and code2wav; a few chunks of 24 kHz PCM.</summary>
    private static GenerateRequest Speech(ulong seed = 13)
    {
        var request = new GenerateRequest
        {
            Prompt = "Say something",
            Text = new TextParams { MaxTokens = 4, Seed = seed },
            Audio = new AudioParams { MaxDurationSeconds = 0.5f, ChunkFrames = 5, Seed = seed, Format = AudioFormat.PcmS16Le },
        };
        request.Outputs.Add(Modality.Audio);
        return request;
    }

    /// <summary>A short clip: the thinker's hidden states into the video stage; 4 frames of 64x64 at 4 fps, H.264 in MP4.</summary>
    private static GenerateRequest Video(ulong seed = 1)
    {
        var request = new GenerateRequest
        {
            Prompt = "A small boat on the sea",
            Text = new TextParams { MaxTokens = 4, Seed = seed },
            Video = new VideoParams { Width = 64, Height = 64, Frames = 4, Fps = 4, NumInferenceSteps = 2, Seed = seed },
        };
        request.Outputs.Add(Modality.Video);
        return request;
    }

    /// <summary>One request's video chunks in stream order and its final message (the CLI's client gathers no video).</summary>
    private async Task<(List<VideoChunk> Chunks, GenerateFinal Final)> GenerateVideoAsync(GenerateRequest request)
    {
        using var call = fixture.Client.Raw.Generate(request, deadline: DateTime.UtcNow.AddMinutes(3));
        var chunks = new List<VideoChunk>();
        GenerateFinal? final = null;
        await foreach (var response in call.ResponseStream.ReadAllAsync())
        {
            switch (response.PayloadCase)
            {
                case GenerateResponse.PayloadOneofCase.Video:
                    chunks.Add(response.Video);
                    break;
                case GenerateResponse.PayloadOneofCase.Final:
                    final = response.Final;
                    break;
            }
        }
        return (chunks, final ?? throw new InvalidOperationException("The stream ended without a final message."));
    }

    [SkippableFact]
    public async Task Images_RunAsNonRootWithHealthCheckAndPorts_OnReadOnlyRoot()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        output.WriteLine($"image builds took {fixture.ImageBuildTime.TotalSeconds:F0} s");
        var expectedPorts = new Dictionary<string, string[]>
        {
            ["orchestrator"] = ["50051/tcp", "8000/tcp", "9100/tcp"],
            ["ar-stage"] = ["50061/tcp", "9101/tcp"],
            ["diffusion-stage"] = ["50062/tcp", "9102/tcp"],
            ["code2wav-stage"] = ["50064/tcp", "9104/tcp"],
        };
        foreach (var (service, ports) in expectedPorts)
        {
            var config = (await DockerEngine.GetJsonAsync($"/images/{ContainerPipelineFixture.ImageName(service)}/json")).GetProperty("Config");
            Assert.Equal("1654", config.GetProperty("User").GetString());
            Assert.Contains("omni-healthcheck", config.GetProperty("Healthcheck").GetProperty("Test").ToString());
            var exposed = config.GetProperty("ExposedPorts").EnumerateObject().Select(p => p.Name).ToList();
            Assert.All(ports, port => Assert.Contains(port, exposed));
        }

        foreach (var service in fixture.Containers)
        {
            var state = await DockerEngine.GetJsonAsync($"/containers/{service.Container.Id}/json");
            Assert.Equal("healthy", state.GetProperty("State").GetProperty("Health").GetProperty("Status").GetString());
            Assert.True(state.GetProperty("HostConfig").GetProperty("ReadonlyRootfs").GetBoolean(), service.Name);
            Assert.Equal("host", state.GetProperty("HostConfig").GetProperty("NetworkMode").GetString());
            // The process itself runs as uid 1654: /proc/1/status inside the container.
            var (exitCode, status) = await ExecAsync(service, "cat", "/proc/1/status");
            Assert.Equal(0, exitCode);
            Assert.Matches(new Regex(@"^Uid:\s+1654\s", RegexOptions.Multiline), status);
        }
    }

    [SkippableFact]
    public async Task Pipeline_TextAndImageRequests_ThroughTheOrchestratorContainer_UseBothArReplicas()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);

        var arReplicas = new HashSet<uint>();
        for (var i = 0; i < 4; i++)
        {
            var result = await fixture.Client.GenerateAsync(TextAndImage(seed: (ulong)(5 + i)), deadline: DateTime.UtcNow.AddMinutes(3));

            output.WriteLine($"text: {result.Text} | stages: {string.Join(", ", result.Final.Stages.Select(s => $"{s.Stage}[{s.ReplicaId}]"))}");
            Assert.NotEmpty(result.TokenIds);
            Assert.False(string.IsNullOrEmpty(result.Text));
            Assert.NotNull(result.Image);
            Assert.Equal(64u, result.Image!.Width);
            Assert.Equal(64u, result.Image.Height);
            Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], result.Image.Data.Span[..4].ToArray());
            Assert.Contains(result.Final.Stages, stage => stage.StageId == 1 && stage.ReplicaId == 0);
            arReplicas.Add(result.Final.Stages.Single(stage => stage.StageId == 0).ReplicaId);
            Assert.True(result.Final.E2ETimeMs > 0);
        }
        // One request after another: equal load, round robin between the two AR containers.
        Assert.Equal([0u, 1u], arReplicas.Order());
    }

    [SkippableFact]
    public async Task Pipeline_AudioRequest_ThroughTheOrchestratorContainer_StreamsSpeechFromTheTalkerAndCode2WavContainers()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);

        var result = await fixture.Client.GenerateAsync(Speech(), deadline: DateTime.UtcNow.AddMinutes(3));

        output.WriteLine($"audio: {result.AudioChunks.Count} chunks | stages: {string.Join(", ", result.Final.Stages.Select(s => $"{s.Stage}[{s.ReplicaId}]"))}");
        Assert.Equal(["ar", "talker", "code2wav"], result.Final.Stages.Select(stage => stage.Stage));
        Assert.Equal([0u, 2u, 3u], result.Final.Stages.Select(stage => stage.StageId));
        Assert.True(result.AudioChunks.Count > 1, $"{result.AudioChunks.Count} chunks");
        Assert.Equal(Enumerable.Range(0, result.AudioChunks.Count).Select(i => (uint)i), result.AudioChunks.Select(chunk => chunk.Index));
        Assert.All(result.AudioChunks, chunk =>
        {
            Assert.Equal((AudioFormat.PcmS16Le, 24000u, 1u), (chunk.Format, chunk.SampleRate, chunk.Channels));
            Assert.Equal(chunk.Samples * 2, (ulong)chunk.Data.Length);
        });
        var samples = result.AudioChunks.Sum(chunk => (double)chunk.Samples);
        Assert.Equal(samples / 24000, result.Final.AudioDurationSeconds, 9);
        Assert.Empty(result.Images);
    }

    [SkippableFact]
    public async Task Images_TheDiffusionStageImage_RunsFfmpegWithLibx264_ForTheVideoStage()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        // The video stage finds ffmpeg on PATH; as the app user, on the read-only root file system it runs on.
        var video = fixture.Containers.Single(c => c.Name == "video-0");
        var (exitCode, encoders) = await ExecAsync(video, "ffmpeg", "-hide_banner", "-encoders");
        Assert.Equal(0, exitCode);
        Assert.Matches(new Regex(@"^ V\S* libx264 ", RegexOptions.Multiline), encoders);
        var (probeExit, probeVersion) = await ExecAsync(video, "ffprobe", "-version");
        Assert.True(probeExit == 0, probeVersion);
    }

    [SkippableFact]
    public async Task Pipeline_VideoRequest_ThroughTheOrchestratorContainer_StreamsMp4FromTheVideoContainer()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);

        var (chunks, final) = await GenerateVideoAsync(Video());

        output.WriteLine($"video: {chunks.Count} chunks, {chunks.Sum(c => c.Data.Length)} bytes | stages: {string.Join(", ", final.Stages.Select(s => $"{s.Stage}[{s.ReplicaId}]"))}");
        Assert.Equal(["ar", "video"], final.Stages.Select(stage => stage.Stage));
        Assert.Equal([0u, 4u], final.Stages.Select(stage => stage.StageId));
        Assert.NotEmpty(chunks);
        Assert.Equal(Enumerable.Range(0, chunks.Count).Select(i => (uint)i), chunks.Select(chunk => chunk.Index));
        Assert.All(chunks, chunk =>
        {
            Assert.Equal("video/mp4", chunk.MimeType);
            Assert.Equal((64u, 64u, 4u), (chunk.Width, chunk.Height, chunk.Fps));
        });
        // The chunks concatenated are one MP4 file: it opens with the ftyp box.
        var mp4 = chunks.SelectMany(chunk => chunk.Data.ToByteArray()).ToArray();
        Assert.True(mp4.Length > 8, $"{mp4.Length} bytes");
        Assert.Equal("ftyp", System.Text.Encoding.ASCII.GetString(mp4, 4, 4));
        Assert.Equal(4u, final.VideoFrames);
        Assert.Equal(1.0, final.VideoDurationSeconds, 9);

        // Read back by the real ffprobe: four H.264 frames of 64x64.
        var path = Path.Combine(Path.GetTempPath(), $"omni-container-video-{Guid.NewGuid():N}.mp4");
        await File.WriteAllBytesAsync(path, mp4);
        try
        {
            var probed = await VideoTools.ProbeAsync(path);
            Assert.Equal(("h264", 64, 64, 4), (probed.Codec, probed.Width, probed.Height, probed.Frames));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [SkippableFact]
    public async Task HttpDoor_ChatCompletionThroughTheOrchestratorContainer_SameTextAsItsGrpcDoor()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(3) };

        using var response = await http.PostAsync($"http://127.0.0.1:{fixture.Orchestrator.HttpPort}/v1/completions",
            new StringContent("""{"prompt":"Hello","max_tokens":4,"seed":5}""", System.Text.Encoding.UTF8, "application/json"));
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var request = new GenerateRequest { Prompt = "Hello", Text = new TextParams { MaxTokens = 4, Seed = 5 } };
        request.Outputs.Add(Modality.Text);
        var grpc = await fixture.Client.GenerateAsync(request, deadline: DateTime.UtcNow.AddMinutes(3));

        Assert.Equal(grpc.Text, body.RootElement.GetProperty("choices")[0].GetProperty("text").GetString());
    }

    [SkippableFact]
    public async Task Metrics_EveryContainer_ExposesItsReplicaLabels()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        for (var i = 0; i < 2; i++)
        {
            await fixture.Client.GenerateAsync(TextAndImage(seed: (ulong)(9 + i)), deadline: DateTime.UtcNow.AddMinutes(3));
        }
        await fixture.Client.GenerateAsync(Speech(seed: 9), deadline: DateTime.UtcNow.AddMinutes(3));
        await GenerateVideoAsync(Video(seed: 9));

        var generated = 0.0;
        foreach (var service in fixture.Containers)
        {
            var exposition = await Http.GetStringAsync(service.MetricsUrl);
            Assert.Contains("process_resident_memory_bytes", exposition);
            var (exitCode, promtool) = await Promtool.CheckMetricsAsync(exposition);
            Assert.True(exitCode is 0 or 3, $"{service.Name}: promtool check metrics exited {exitCode}: {promtool}");
            Assert.Empty(Promtool.UnexpectedLintFindings(promtool));
            switch (service.Name)
            {
                case "ar-0":
                case "ar-1":
                    var replica = service.Replica;
                    Assert.Matches($"\\{{model_name=\"omni-ar-default\",engine=\"{replica}\",stage_id=\"0\",replica_id=\"{replica}\"", exposition);
                    Assert.DoesNotContain($"replica_id=\"{(replica == "0" ? 1 : 0)}\"", exposition);
                    generated += Exposition.Sum(exposition, "vllm:generation_tokens_total");
                    break;
                case "diffusion-0":
                    Assert.Matches("vllm:omni_diffusion_exec_time_ms_count\\{model_name=\"omni-dit-default\",engine=\"10000\",stage_id=\"1\",replica_id=\"0\"\\}", exposition);
                    break;
                case "talker-0":
                    Assert.Matches("vllm:generation_tokens_total\\{model_name=\"omni-talker-default\",engine=\"20000\",stage_id=\"2\",replica_id=\"0\"\\} [1-9]", exposition);
                    break;
                case "code2wav-0":
                    Assert.Matches("vllm:omni_code2wav_chunk_time_ms_count\\{model_name=\"omni-code2wav-default\",engine=\"30000\",stage_id=\"3\",replica_id=\"0\"\\} [1-9]", exposition);
                    break;
                case "video-0":
                    Assert.Matches("vllm:omni_diffusion_exec_time_ms_count\\{model_name=\"omni-video-dit-default\",engine=\"40000\",stage_id=\"4\",replica_id=\"0\"\\} [1-9]", exposition);
                    break;
                case "orchestrator":
                    Assert.Matches("vllm:omni_stage_gen_time_seconds_count\\{model_name=\"omni-default\",stage_id=\"0\",replica_id=\"[01]\"\\}", exposition);
                    Assert.Matches("vllm:omni_stage_gen_time_seconds_count\\{model_name=\"omni-default\",stage_id=\"1\",replica_id=\"0\"\\}", exposition);
                    Assert.Matches("from_stage=\"0\",from_replica=\"[01]\",to_stage=\"1\",to_replica=\"0\"", exposition);
                    Assert.Matches("vllm:omni_stage_gen_time_seconds_count\\{model_name=\"omni-default\",stage_id=\"2\",replica_id=\"0\"\\}", exposition);
                    Assert.Matches("vllm:omni_stage_gen_time_seconds_count\\{model_name=\"omni-default\",stage_id=\"3\",replica_id=\"0\"\\}", exposition);
                    Assert.Matches("from_stage=\"0\",from_replica=\"[01]\",to_stage=\"2\",to_replica=\"0\"", exposition);
                    Assert.Matches("from_stage=\"2\",from_replica=\"0\",to_stage=\"3\",to_replica=\"0\"", exposition);
                    Assert.Matches("vllm:omni_stage_gen_time_seconds_count\\{model_name=\"omni-default\",stage_id=\"4\",replica_id=\"0\"\\}", exposition);
                    Assert.Matches("from_stage=\"0\",from_replica=\"[01]\",to_stage=\"4\",to_replica=\"0\"", exposition);
                    Assert.Matches("vllm:omni_video_frames_total\\{model_name=\"omni-default\",stage_id=\"4\",replica_id=\"0\"\\} [1-9]", exposition);
                    break;
            }
        }
        Assert.True(generated >= 2 * 6, $"the AR replicas generated {generated} tokens");
    }

    [SkippableFact]
    public async Task Prometheus_WithTheComposeConfig_ScrapesEveryReplica_RulesAndDashboardQueriesEvaluate()
    {
        Skip.If(fixture.SkipReason is not null, fixture.SkipReason);
        var composeTargets = new Dictionary<string, string>
        {
            ["orchestrator:9100"] = $"127.0.0.1:{fixture.Orchestrator.MetricsPort}",
            ["ar-0:9101"] = $"127.0.0.1:{fixture.Containers.Single(c => c.Name == "ar-0").MetricsPort}",
            ["ar-1:9101"] = $"127.0.0.1:{fixture.Containers.Single(c => c.Name == "ar-1").MetricsPort}",
            ["diffusion-0:9102"] = $"127.0.0.1:{fixture.Containers.Single(c => c.Name == "diffusion-0").MetricsPort}",
            ["talker-0:9103"] = $"127.0.0.1:{fixture.Containers.Single(c => c.Name == "talker-0").MetricsPort}",
            ["code2wav-0:9104"] = $"127.0.0.1:{fixture.Containers.Single(c => c.Name == "code2wav-0").MetricsPort}",
            ["video-0:9105"] = $"127.0.0.1:{fixture.Containers.Single(c => c.Name == "video-0").MetricsPort}",
        };
        await using var prometheus = await ComposePrometheus.StartAsync(composeTargets);

        // Every service's targets are up, each with its service and replica labels.
        var up = await prometheus.WaitForSeriesAsync("up{service=~\"omni-.*\"} == 1", series => series.Count == 7, TimeSpan.FromSeconds(30));
        var identities = up.Select(s => $"{s.Labels["service"]}/{s.Labels["replica"]}").OrderBy(x => x, StringComparer.Ordinal).ToList();
        Assert.Equal(["omni-ar-stage/0", "omni-ar-stage/1", "omni-code2wav-stage/0", "omni-diffusion-stage/0", "omni-orchestrator/orchestrator",
            "omni-talker-stage/0", "omni-video-stage/0"], identities);

        // Traffic, spread over a few seconds so that rate() sees it between scrapes.
        for (var i = 0; i < 3; i++)
        {
            await fixture.Client.GenerateAsync(TextAndImage(seed: (ulong)(20 + i)), deadline: DateTime.UtcNow.AddMinutes(3));
            await fixture.Client.GenerateAsync(Speech(seed: (ulong)(20 + i)), deadline: DateTime.UtcNow.AddMinutes(3));
            await GenerateVideoAsync(Video(seed: (ulong)(20 + i)));
            await Task.Delay(1200);
        }
        await prometheus.WaitForSeriesAsync("sum(vllm:omni_requests_success_total)", series => series.Count == 1 && series[0].Value >= 9, TimeSpan.FromSeconds(15));
        await Task.Delay(2500);

        // The engine families carry stage_id/replica_id from the container, the target labels from the config.
        var ttft = await prometheus.EvaluateAsync("vllm:time_to_first_token_seconds_count");
        Assert.All(ttft.Series, s => Assert.Equal(s.Labels["replica"], s.Labels["replica_id"]));
        Assert.Contains(ttft.Series, s => s.Labels["replica_id"] == "0" && s.Labels["service"] == "omni-ar-stage" && s.Value >= 1);
        Assert.Contains(ttft.Series, s => s.Labels["replica_id"] == "1" && s.Labels["service"] == "omni-ar-stage" && s.Value >= 1);

        // Every dashboard query parses and evaluates; every panel about what this traffic exercises shows data.
        var dashboard = JsonDocument.Parse(RepositoryPaths.Read("deploy", "grafana", "dashboards", "omni-pipeline.json"));
        var empty = new List<string>();
        var panelsWithData = new HashSet<string>();
        var count = 0;
        foreach (var panel in dashboard.RootElement.GetProperty("panels").EnumerateArray())
        {
            if (!panel.TryGetProperty("targets", out var targets))
            {
                continue;
            }
            var title = panel.GetProperty("title").GetString()!;
            foreach (var target in targets.EnumerateArray())
            {
                var expr = target.GetProperty("expr").GetString()!.Replace("$__rate_interval", "1m");
                var (status, error, series) = await prometheus.EvaluateAsync(expr);
                Assert.True(status == "success", $"panel \"{title}\": {expr}: {error}");
                count++;
                if (series.Count == 0 || series.All(s => double.IsNaN(s.Value)))
                {
                    empty.Add($"{title}: {expr}");
                }
                else
                {
                    panelsWithData.Add(title);
                }
            }
        }
        output.WriteLine($"{count} dashboard queries evaluated; without data now:\n  {string.Join("\n  ", empty)}");
        string[] mustHaveData =
        [
            "Request rate", "Finished requests by reason", "End-to-end latency", "Queue time (arrival to first stage)",
            "Time to first packet (p95)", "Per-stage time p95, per replica", "Time to first token", "Inter-token latency",
            "Engine queue time", "Tokens per second", "Phase split (mean ms per request)", "Denoising step time",
            "Transfer bytes per second", "Transfer chunk size p95", "Targets up", "Resident memory",
            "Audio time to first packet", "Audio real-time factor", "Code2wav chunk decode time",
            "Video time to first packet", "Video generation time", "Video frames per second", "Video duration",
        ];
        Assert.All(mustHaveData, title => Assert.Contains(title, panelsWithData));

        // The rules load and evaluate without errors on these real series; no alert fires for a healthy pipeline.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        List<(string Name, string Health, string? Error)> rules;
        do
        {
            await Task.Delay(1000);
            var groups = (await prometheus.GetJsonAsync("/api/v1/rules")).GetProperty("data").GetProperty("groups");
            rules = groups.EnumerateArray().SelectMany(g => g.GetProperty("rules").EnumerateArray())
                .Select(r => (r.GetProperty("name").GetString()!, r.GetProperty("health").GetString()!,
                    r.TryGetProperty("lastError", out var e) ? e.GetString() : null)).ToList();
        }
        while (rules.Any(r => r.Health == "unknown") && DateTime.UtcNow < deadline);
        Assert.Equal(20, rules.Count);
        Assert.All(rules, r => Assert.True(r.Health == "ok", $"{r.Name}: {r.Health} {r.Error}"));
        var e2e = await prometheus.EvaluateAsync("omni:e2e_latency_seconds:p95_5m");
        Assert.Contains(e2e.Series, s => s.Labels["model_name"] == "omni-default" && s.Value > 0);
        var replicasUp = await prometheus.EvaluateAsync("omni:stage_replicas_up:count");
        Assert.Contains(replicasUp.Series, s => s.Labels["service"] == "omni-ar-stage" && s.Value == 2);
        Assert.Contains(replicasUp.Series, s => s.Labels["service"] == "omni-talker-stage" && s.Value == 1);
        Assert.Contains(replicasUp.Series, s => s.Labels["service"] == "omni-code2wav-stage" && s.Value == 1);
        Assert.Contains(replicasUp.Series, s => s.Labels["service"] == "omni-video-stage" && s.Value == 1);
        var alerts = (await prometheus.GetJsonAsync("/api/v1/alerts")).GetProperty("data").GetProperty("alerts");
        Assert.True(alerts.GetArrayLength() == 0, $"alerts on a healthy pipeline: {alerts}");
    }

    private static async Task<(long ExitCode, string Output)> ExecAsync(ServiceContainer service, params string[] command)
    {
        var result = await service.Container.ExecAsync(command);
        return (result.ExitCode ?? -1, result.Stdout + result.Stderr);
    }

}
