using Google.Protobuf;
using Omni.Cli.Client;
using Omni.Contracts.V1;

namespace Omni.Cli.Tests;

public sealed class VideoFilesTests
{
    [Theory]
    [InlineData("out.mp4", VideoFormat.Mp4)]
    [InlineData("clips/OUT.MP4", VideoFormat.Mp4)]
    [InlineData("out.rgb", VideoFormat.Frames)]
    public void FormatFor_Extension_Format(string path, VideoFormat expected)
    {
        Assert.Equal(expected, VideoFiles.FormatFor(path));
    }

    [Theory]
    [InlineData("out.avi")]
    [InlineData("out")]
    public void FormatFor_OtherExtension_Throws(string path)
    {
        var error = Assert.Throws<ArgumentException>(() => VideoFiles.FormatFor(path));

        Assert.Contains(".mp4", error.Message);
    }

    [Theory]
    [InlineData("128x96", 128u, 96u)]
    [InlineData("64X256", 64u, 256u)]
    [InlineData("160", 160u, 160u)]
    public void ParseSize_Text_WidthAndHeight(string text, uint width, uint height)
    {
        Assert.Equal((width, height), VideoFiles.ParseSize(text));
    }

    [Theory]
    [InlineData("")]
    [InlineData("128x")]
    [InlineData("128x96x2")]
    [InlineData("0x128")]
    [InlineData("-128x128")]
    [InlineData("big")]
    public void ParseSize_Malformed_Throws(string text)
    {
        var error = Assert.Throws<ArgumentException>(() => VideoFiles.ParseSize(text));

        Assert.Contains("--video-size", error.Message);
    }

    [Fact]
    public void Write_Chunks_AppendedToTheFileAsTheyArrive()
    {
        var path = Path.Combine(Path.GetTempPath(), $"omni-video-{Guid.NewGuid():N}", "clip.mp4");
        try
        {
            using var writer = new VideoFileWriter(path);

            writer.Write(Chunk(VideoFormat.Mp4, 0, frame: 0, [1, 2, 3]));
            var afterFirst = ReadShared(path);
            writer.Write(Chunk(VideoFormat.Mp4, 1, frame: 8, [4, 5]));

            Assert.Equal([1, 2, 3], afterFirst);
            Assert.Equal([1, 2, 3, 4, 5], ReadShared(path));
            Assert.Equal((2, 5L, 8u), (writer.Chunks, writer.Bytes, writer.Frames));
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
        }
    }

    [Fact]
    public void Incomplete_ChunksWritten_NamesTheFileAndWhatCame()
    {
        var path = Path.Combine(Path.GetTempPath(), $"omni-video-{Guid.NewGuid():N}.mp4");
        try
        {
            using var writer = new VideoFileWriter(path);
            var before = writer.Incomplete();
            writer.Write(Chunk(VideoFormat.Mp4, 0, frame: 0, [1, 2, 3]));

            Assert.Equal((null, $"{writer.Path} is incomplete: 1 chunks, 3 bytes came before the request failed."), (before, writer.Incomplete()));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Write_RawFrames_CountsFrames()
    {
        var path = Path.Combine(Path.GetTempPath(), $"omni-video-{Guid.NewGuid():N}.rgb");
        try
        {
            using var writer = new VideoFileWriter(path);

            writer.Write(Chunk(VideoFormat.Frames, 0, frame: 0, [1]));
            writer.Write(Chunk(VideoFormat.Frames, 1, frame: 1, [2]));

            Assert.Equal(2u, writer.Frames);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Summary_Final_FramesSizeRateLengthChunksBytesTtfp()
    {
        var path = Path.Combine(Path.GetTempPath(), $"omni-video-{Guid.NewGuid():N}.mp4");
        try
        {
            using var writer = new VideoFileWriter(path);
            writer.Write(Chunk(VideoFormat.Mp4, 0, frame: 16, new byte[100]));
            var result = new GenerateResult("r", "", [], [], 0, [], new GenerateFinal { VideoFrames = 16, VideoDurationSeconds = 2 })
            {
                FirstVideo = TimeSpan.FromMilliseconds(1234),
            };

            Assert.Equal($"{writer.Path} (16 frames 128x128 at 8 fps, 2.00 s, 1 chunks, 100 bytes) TTFP=1234ms", writer.Summary(result));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Write_NoChunk_NoFile()
    {
        var path = Path.Combine(Path.GetTempPath(), $"omni-video-{Guid.NewGuid():N}.mp4");

        using (new VideoFileWriter(path))
        {
        }

        Assert.False(File.Exists(path));
    }

    private static VideoChunk Chunk(VideoFormat format, uint index, uint frame, byte[] data) => new()
    {
        Data = ByteString.CopyFrom(data),
        Format = format,
        Width = 128,
        Height = 128,
        Fps = 8,
        Index = index,
        Frame = frame,
    };

    private static byte[] ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
