using System.Net;
using Microsoft.Extensions.Options;
using Omni.Common.Transfers;

namespace Omni.Common.Tests;

public sealed class TransferPeersTests
{
    private static readonly IPAddress First = IPAddress.Parse("10.0.0.1");
    private static readonly IPAddress Second = IPAddress.Parse("10.0.0.2");

    [Fact]
    public async Task AllowsAsync_ReplicaNewInDnsWhileTheAnswerIsCached_LooksUpAgainAndAllowsIt()
    {
        var answers = new Queue<IPAddress[]>([[First], [First, Second]]);
        var peers = Peers(answers);
        Assert.True(await peers.AllowsAsync("http://10.0.0.1:50062", CancellationToken.None));
        await Task.Delay(150); // lookups forced by a miss are at most one per 100 ms

        var allowed = await peers.AllowsAsync("http://10.0.0.2:50062", CancellationToken.None);

        Assert.Equal((true, 0), (allowed, answers.Count));
    }

    [Fact]
    public async Task AllowsAsync_ReplicaThatLeftDnsJustNow_StillAllowed()
    {
        // It left the answers at the start of its pre-stop sleep, during which it still serves what it was bound.
        var answers = new Queue<IPAddress[]>([[First, Second], [First]]);
        var peers = Peers(answers);
        Assert.True(await peers.AllowsAsync("http://10.0.0.2:50062", CancellationToken.None));
        await Task.Delay(150);
        Assert.False(await peers.AllowsAsync("http://10.0.0.9:50062", CancellationToken.None));

        var allowed = await peers.AllowsAsync("http://10.0.0.2:50062", CancellationToken.None);

        Assert.Equal((true, 0), (allowed, answers.Count));
    }

    [Fact]
    public async Task AllowsAsync_AddressNoLookupReturned_Refused()
    {
        var peers = Peers(new Queue<IPAddress[]>([[First], [First]]));

        Assert.False(await peers.AllowsAsync("http://10.0.0.2:50062", CancellationToken.None));
    }

    [Fact]
    public async Task AllowsAsync_AnotherPort_RefusedWithoutALookup()
    {
        var answers = new Queue<IPAddress[]>([[First]]);

        Assert.Equal((false, 1), (await Peers(answers).AllowsAsync("http://10.0.0.1:9999", CancellationToken.None), answers.Count));
    }

    // Peers "omni-diffusion-stage:50062", whose lookups answer these in turn.
    private static TransferPeers Peers(Queue<IPAddress[]> answers) =>
        new(Options.Create(new TransferOptions { Peers = "omni-diffusion-stage:50062" }), (_, _) => Task.FromResult(answers.Dequeue()));
}
