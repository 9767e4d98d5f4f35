using Omni.Cli.Bench;

namespace Omni.Cli.Tests;

public sealed class LoadSweepTests
{
    [Fact]
    public void ParseMix_Speech_FourthWeight()
    {
        Assert.Equal((3.0, 0.0, 0.0, 1.0), LoadSweep.ParseMix("text=3,speech=1"));
    }

    [Fact]
    public void ParseMix_UnknownKind_FormatException()
    {
        Assert.Throws<FormatException>(() => LoadSweep.ParseMix("text=1,video=1"));
    }

    [Theory]
    [InlineData("2-4", 2.0, 4.0)]
    [InlineData("2:4", 2.0, 4.0)]
    [InlineData("0.5:1.5", 0.5, 1.5)]
    [InlineData("3", 3.0, 3.0)]
    public void ParseSecondsRange_DashColonOrOne_Range(string text, double min, double max)
    {
        Assert.Equal((min, max), LoadSweep.ParseSecondsRange(text, 60));
    }

    [Theory]
    [InlineData("4-2")]
    [InlineData("0-2")]
    [InlineData("2:61")]
    [InlineData("two")]
    public void ParseSecondsRange_EmptyNonPositiveOrAboveTheLimit_FormatException(string text)
    {
        Assert.Throws<FormatException>(() => LoadSweep.ParseSecondsRange(text, 60));
    }
}
