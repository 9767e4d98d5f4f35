using Grpc.Core;
using Omni.Cli.Bench;
using Spectre.Console;

namespace Omni.Cli.Tests;

public sealed class ReportPrinterTests
{
    [Fact]
    public void Print_PointWithAudio_AudioTable()
    {
        var point = PointResult.From("concurrency=1",
            [new(0, RequestKind.Speech, 0, StatusCode.OK) { E2e = 4, Ttft = 0.1, AudioTtfp = 1.5, AudioRtf = 1.25, AudioSeconds = 3, AudioSamples = 72000 }], null);

        var text = Print(point);

        Assert.Contains("Audio (mean / p50 / p90 / p99)", text);
        Assert.Contains("1500.0 / 1500.0 / 1500.0 / 1500.0", text);
        Assert.Contains("1.25 / 1.25 / 1.25 / 1.25", text);
    }

    [Fact]
    public void Print_NoAudio_NoAudioTable()
    {
        var point = PointResult.From("concurrency=1", [new(0, RequestKind.Text, 0, StatusCode.OK) { E2e = 0.5, Ttft = 0.1 }], null);

        Assert.DoesNotContain("Audio (", Print(point));
    }

    private static string Print(PointResult point)
    {
        var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(writer), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors });
        console.Profile.Width = 300;
        ReportPrinter.Print(console, [point]);
        return writer.ToString();
    }
}
