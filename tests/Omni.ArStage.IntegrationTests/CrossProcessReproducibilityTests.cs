namespace Omni.ArStage.IntegrationTests;

/// <summary>Same request, same bits in three AR stage processes (one with another KV block size): ids and every logprob's bits.</summary>
[Collection(ArStageCollection.Name)]
public sealed class CrossProcessReproducibilityTests(ArStageProcesses stages)
{
    [Fact]
    public async Task Process_SameRequestInThreeProcesses_SameLogprobBits()
    {
        var request = StageEndpoint.TextRequest("Hello, world!", 10, text => (text.Logprobs, text.IgnoreEos) = (5u, true));

        var results = new[]
        {
            await stages.Main.CallAsync(request), await stages.Tight.CallAsync(request), await stages.Quiet.CallAsync(request),
        };

        var bits = results.Select(result => string.Join(' ', result.Text.SelectMany(delta => delta.Logprobs).SelectMany(logprob =>
            new[] { logprob.TokenId, BitConverter.SingleToInt32Bits(logprob.Logprob) }
                .Concat(logprob.Top.SelectMany(top => new[] { top.TokenId, BitConverter.SingleToInt32Bits(top.Logprob) }))))).ToArray();
        Assert.Equal(10 * 12, bits[0].Split(' ').Length);
        Assert.Equal(bits[0], bits[1]);
        Assert.Equal(bits[0], bits[2]);
    }
}
