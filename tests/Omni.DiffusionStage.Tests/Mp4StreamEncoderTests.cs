using Omni.DiffusionStage.Encoding;
using Omni.Testing;

namespace Omni.DiffusionStage.Tests;

/// <summary>The MP4 encoder against the real ffmpeg, read back with ffprobe.</summary>
public sealed class Mp4StreamEncoderTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private readonly TempDirectory directory = new();

    public void Dispose() => directory.Dispose();

    [Fact]
    public async Task CompleteAsync_EightFrames_H264WithTheFramesSizeAndRate()
    {
        var path = await EncodeToFileAsync(Gradients(8, 64, 48), 64, 48, fps: 8);

        var probed = await VideoTools.ProbeAsync(path);

        Assert.Equal(new ProbedVideo("h264", 64, 48, 8, "8/1", "yuv420p"), probed);
    }

    [Fact]
    public async Task CompleteAsync_SameFramesTwice_SameBytes()
    {
        var frames = Gradients(6, 64, 64);

        var first = await EncodeAsync(frames, 64, 64, fps: 12);
        var second = await EncodeAsync(frames, 64, 64, fps: 12);

        Assert.Equal(first.SelectMany(piece => piece), second.SelectMany(piece => piece));
    }

    [Fact]
    public async Task CompleteAsync_SlowConsumer_SameBytesAsAFastOne()
    {
        // A client that reads slowly holds up each piece while ffmpeg finishes and exits: what it wrote last must still
        // arrive, whole.
        var frames = Gradients(8, 64, 48);
        var fast = await EncodeAsync(frames, 64, 48, fps: 8);
        var slow = new List<byte[]>();
        var encoder = new Mp4StreamEncoder(64, 48, 8, async (bytes, _) =>
        {
            slow.Add(bytes.ToArray());
            await Task.Delay(300);
        }, CancellationToken.None);
        foreach (var frame in frames)
        {
            encoder.Add(frame);
        }

        await encoder.CompleteAsync().WaitAsync(Timeout);

        Assert.Equal(fast.SelectMany(piece => piece), slow.SelectMany(piece => piece));
    }

    [Fact]
    public async Task Add_BeforeTheInputEnds_HeaderAndFragmentsAlreadyWritten()
    {
        var pieces = new List<byte[]>();
        var firstFragment = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // 2 fps: 3 frames are 1.5 s of video, within what ffmpeg would probe before encoding unless told not to.
        var encoder = new Mp4StreamEncoder(64, 64, 2, (bytes, _) =>
        {
            lock (pieces)
            {
                pieces.Add(bytes.ToArray());
                if (pieces.SelectMany(piece => piece).ToArray().AsSpan().IndexOf("moof"u8) >= 0)
                {
                    firstFragment.TrySetResult();
                }
            }
            return Task.CompletedTask;
        }, CancellationToken.None);

        foreach (var frame in Gradients(3, 64, 64))
        {
            encoder.Add(frame);
        }
        await firstFragment.Task.WaitAsync(Timeout);
        byte[] beforeEnd;
        lock (pieces)
        {
            beforeEnd = pieces.SelectMany(piece => piece).ToArray();
        }
        await encoder.CompleteAsync().WaitAsync(Timeout);

        Assert.Equal("ftyp"u8.ToArray(), beforeEnd[4..8]);
    }

    [Fact]
    public async Task CompleteAsync_CancelledMidway_Throws()
    {
        using var cancellation = new CancellationTokenSource();
        var encoder = new Mp4StreamEncoder(64, 64, 8, (_, _) => Task.CompletedTask, cancellation.Token);
        encoder.Add(Gradients(1, 64, 64)[0]);

        await cancellation.CancelAsync();
        encoder.Abandon(new OperationCanceledException());

        await Assert.ThrowsAnyAsync<Exception>(() => encoder.CompleteAsync().WaitAsync(Timeout));
    }

    [Fact]
    public async Task CompleteAsync_ConsumerFails_ThrowsItsError()
    {
        var encoder = new Mp4StreamEncoder(64, 64, 8, (_, _) => throw new IOException("the client went away"), CancellationToken.None);
        foreach (var frame in Gradients(4, 64, 64))
        {
            encoder.Add(frame);
        }

        var error = await Assert.ThrowsAsync<IOException>(() => encoder.CompleteAsync().WaitAsync(Timeout));

        Assert.Equal("the client went away", error.Message);
    }

    [Fact]
    public void Add_FrameOfAnotherSize_ThrowsNamingBothSizes()
    {
        var encoder = new Mp4StreamEncoder(64, 64, 8, (_, _) => Task.CompletedTask, CancellationToken.None);

        var error = Assert.Throws<ArgumentException>(() => encoder.Add(new byte[10]));
        encoder.Abandon(new OperationCanceledException());

        Assert.Contains("10 bytes, expected 12288", error.Message);
    }

    private async Task<string> EncodeToFileAsync(IReadOnlyList<byte[]> frames, int width, int height, int fps)
    {
        var path = Path.Combine(directory.Path, $"clip-{Guid.NewGuid():N}.mp4");
        await File.WriteAllBytesAsync(path, (await EncodeAsync(frames, width, height, fps)).SelectMany(piece => piece).ToArray());
        return path;
    }

    private static async Task<List<byte[]>> EncodeAsync(IReadOnlyList<byte[]> frames, int width, int height, int fps)
    {
        var pieces = new List<byte[]>();
        var encoder = new Mp4StreamEncoder(width, height, fps, (bytes, _) =>
        {
            pieces.Add(bytes.ToArray());
            return Task.CompletedTask;
        }, CancellationToken.None);
        foreach (var frame in frames)
        {
            encoder.Add(frame);
        }
        await encoder.CompleteAsync().WaitAsync(Timeout);
        return pieces;
    }

    /// <summary>Frames of a diagonal gradient that moves a few pixels per frame.</summary>
    private static List<byte[]> Gradients(int count, int width, int height) =>
        Enumerable.Range(0, count).Select(t =>
        {
            var rgb = new byte[width * height * 3];
            for (var y = 0; y < height; y++)
            {
                for (var x = 0; x < width; x++)
                {
                    var i = ((y * width) + x) * 3;
                    rgb[i] = (byte)((x + (4 * t)) * 4);
                    rgb[i + 1] = (byte)(y * 5);
                    rgb[i + 2] = (byte)((x + y + t) * 2);
                }
            }
            return rgb;
        }).ToList();
}

public sealed class FfmpegInstallationTests
{
    [Fact]
    public void Require_DebiansFfmpeg_DescribesItsVersionAndLibx264()
    {
        var description = FfmpegInstallation.Require();

        Assert.StartsWith("ffmpeg version ", description);
        Assert.Contains("(libx264)", description);
    }

    [Fact]
    public void Require_NoSuchBinary_ThrowsSayingToInstallFfmpeg()
    {
        var error = Assert.Throws<InvalidOperationException>(() => FfmpegInstallation.Require("/nonexistent/ffmpeg"));

        Assert.Contains("install Debian's ffmpeg", error.Message);
    }
}
