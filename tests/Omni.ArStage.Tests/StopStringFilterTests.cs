using Omni.ArStage.Engine;

namespace Omni.ArStage.Tests;

public sealed class StopStringFilterTests
{
    [Fact]
    public void Push_PossibleStartOfStopString_HoldsItBack()
    {
        var filter = new StopStringFilter(["STOP"]);

        Assert.Equal(("hello ", false), filter.Push("hello ST"));
        Assert.Equal(("STAR", false), filter.Push("AR"));
    }

    [Fact]
    public void Push_StopStringAcrossPushes_ReturnsTextBeforeItAndStops()
    {
        var filter = new StopStringFilter(["STOP"]);

        var (first, _) = filter.Push("abc S");
        var (second, stopped) = filter.Push("TOP and more");

        Assert.Equal("abc ", first);
        Assert.Equal("", second);
        Assert.True(stopped);
    }

    [Fact]
    public void Push_SeveralStopStrings_StopsAtEarliest()
    {
        var filter = new StopStringFilter(["world", "lo"]);

        Assert.Equal(("hel", true), filter.Push("hello world"));
    }

    [Fact]
    public void Flush_HeldBackText_ReleasesIt()
    {
        var filter = new StopStringFilter(["\n\n"]);

        Assert.Equal(("line", false), filter.Push("line\n"));
        Assert.Equal("\n", filter.Flush());
    }
}
