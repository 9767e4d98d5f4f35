using Grpc.Core;
using Omni.Contracts.V1;
using SkiaSharp;

namespace Omni.IntegrationTests;

[Collection(PipelineCollection.Name)]
public sealed class GenerateTests(PipelineFixture fixture)
{
    [Fact]
    public async Task Generate_TextOnly_StreamsTokensAndLengthFinish()
    {
        var result = await fixture.Client.GenerateAsync(Requests.Text(maxTokens: 8));

        Assert.Null(result.Image);
        Assert.Equal(8, result.TokenIds.Count);
        Assert.Equal(8u, result.Final.Usage.CompletionTokens);
        Assert.True(result.Final.Usage.PromptTokens > 0);
        Assert.True(result.TextMessages >= 2, "text should arrive as several deltas, not one message");
        Assert.Equal(FinishReason.Length, result.Final.FinishReason);
        Assert.Equal(["ar"], result.Final.Stages.Select(stage => stage.Stage));
    }

    [Fact]
    public async Task Generate_ImageOnly_ReturnsPngOfRequestedSize()
    {
        var result = await fixture.Client.GenerateAsync(Requests.Image(width: 96, height: 64));

        Assert.NotNull(result.Image);
        Assert.Equal("image/png", result.Image!.MimeType);
        using var bitmap = SKBitmap.Decode(result.Image.Data.ToByteArray());
        Assert.NotNull(bitmap);
        Assert.Equal(96, bitmap.Width);
        Assert.Equal(64, bitmap.Height);
        Assert.Equal((96u, 64u), (result.Image.Width, result.Image.Height));
        Assert.Empty(result.TokenIds);
        Assert.Equal(FinishReason.Stop, result.Final.FinishReason);
        Assert.Equal(["ar", "diffusion"], result.Final.Stages.Select(stage => stage.Stage));
    }

    [Fact]
    public async Task Generate_ImageOnly_ImageIsNotUniform()
    {
        var result = await fixture.Client.GenerateAsync(Requests.Image());

        using var bitmap = SKBitmap.Decode(result.Image!.Data.ToByteArray());
        var distinct = new HashSet<SKColor>();
        for (var y = 0; y < bitmap.Height; y++)
        {
            for (var x = 0; x < bitmap.Width; x++)
            {
                distinct.Add(bitmap.GetPixel(x, y));
            }
        }
        Assert.True(distinct.Count > 16, $"the image has only {distinct.Count} distinct colours");
    }

    [Fact]
    public async Task Generate_TextAndImage_TextStreamsBeforeImage()
    {
        var order = new List<GenerateResponse.PayloadOneofCase>();
        using var call = fixture.Client.Raw.Generate(Requests.Both());
        await foreach (var response in call.ResponseStream.ReadAllAsync())
        {
            order.Add(response.PayloadCase);
        }

        var firstImage = order.IndexOf(GenerateResponse.PayloadOneofCase.Image);
        Assert.True(firstImage > 0);
        Assert.All(order.Take(firstImage), payload => Assert.Equal(GenerateResponse.PayloadOneofCase.Text, payload));
        Assert.Equal(GenerateResponse.PayloadOneofCase.Final, order[^1]);
        Assert.Equal(firstImage + 2, order.Count);
    }

    [Fact]
    public async Task Generate_TextAndImage_ReportsBothStagesAndUsage()
    {
        var result = await fixture.Client.GenerateAsync(Requests.Both(maxTokens: 6));

        Assert.Equal(6u, result.Final.Usage.CompletionTokens);
        Assert.NotNull(result.Image);
        Assert.Equal(["ar", "diffusion"], result.Final.Stages.Select(stage => stage.Stage));
        Assert.Contains(result.Final.Stages[1].Timings, timing => timing.Name == "exec" && timing.Milliseconds > 0);
        Assert.True(result.Final.E2ETimeMs >= result.Final.Stages[0].GenTimeMs);
    }

    [Fact]
    public async Task Generate_SameSeed_SameImageBytesAndText()
    {
        var first = await fixture.Client.GenerateAsync(Requests.Both(seed: 99));
        var second = await fixture.Client.GenerateAsync(Requests.Both(seed: 99));

        Assert.Equal(first.TokenIds, second.TokenIds);
        Assert.Equal(first.Text, second.Text);
        Assert.Equal(first.Image!.Data.ToByteArray(), second.Image!.Data.ToByteArray());
    }

    [Fact]
    public async Task Generate_DifferentImageSeed_DifferentImage()
    {
        var first = await fixture.Client.GenerateAsync(Requests.Image(seed: 1));
        var second = await fixture.Client.GenerateAsync(Requests.Image(seed: 2));

        Assert.NotEqual(first.Image!.Data.ToByteArray(), second.Image!.Data.ToByteArray());
    }

    [Fact]
    public async Task Generate_GreedyText_IsDeterministic()
    {
        var request = Requests.Text(maxTokens: 10);
        request.Text.Temperature = 0;
        request.Text.ClearSeed();

        var first = await fixture.Client.GenerateAsync(request);
        var second = await fixture.Client.GenerateAsync(request);

        Assert.Equal(first.TokenIds, second.TokenIds);
    }

    [Fact]
    public async Task Generate_ClientRequestId_IsEchoed()
    {
        var request = Requests.Text(maxTokens: 2);
        request.RequestId = "client-id-42";

        var result = await fixture.Client.GenerateAsync(request);

        Assert.Equal("client-id-42", result.RequestId);
    }

    [Fact]
    public async Task Generate_ExpiredDeadline_DeadlineExceeded()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() =>
            fixture.Client.GenerateAsync(Requests.Both(), deadline: DateTime.UtcNow.AddMilliseconds(1)));

        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
    }

    [Fact]
    public async Task Generate_DeadlinePassesMidGeneration_CountedAsDeadlineExceeded()
    {
        var metrics = fixture.Pipeline.Orchestrator.MetricsAddress;
        var before = Failed(await Http.GetStringAsync(metrics));

        // 4000 tokens take far longer than 2 s; 2 s leaves the request time to reach the orchestrator on a loaded machine
        // (with 0.4 s it sometimes expired on the client before the orchestrator had seen it, and nothing was counted).
        var error = await Assert.ThrowsAsync<RpcException>(() =>
            fixture.Client.GenerateAsync(Requests.Text(maxTokens: 4000), deadline: DateTime.UtcNow.AddSeconds(2)));

        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        var after = Failed(await Http.GetStringAsync(metrics));
        while (after == before && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
            after = Failed(await Http.GetStringAsync(metrics));
        }
        Assert.Equal((before.Deadline + 1, before.Cancelled), (after.Deadline, after.Cancelled));
    }

    private static readonly HttpClient Http = new();

    private static (double Deadline, double Cancelled) Failed(string exposition)
    {
        double Sum(string reason) => exposition.Split('\n')
            .Where(line => line.StartsWith("vllm:omni_requests_failed_total{", StringComparison.Ordinal) && line.Contains($"reason=\"{reason}\"", StringComparison.Ordinal))
            .Sum(line => double.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture));
        return (Sum("deadline_exceeded"), Sum("client_cancelled"));
    }
}
