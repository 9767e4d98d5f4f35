using Omni.Code2Wav.Engine;
using Omni.Code2Wav.Model;
using static TorchSharp.torch;

namespace Omni.Code2Wav.Tests;

public sealed class StreamingDecoderTests : IDisposable
{
    private readonly Code2WavModel _model = DefaultCode2WavModel.Create();

    public void Dispose() => _model.Dispose();

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(25)]
    [InlineData(50)]
    public void Decode_InChunks_SamplesOfTheWholeSequence(int chunkFrames)
    {
        var codes = Codes(120, seed: 3);
        var whole = Code2WavDecoding.DecodeWhole(_model, CPU, codes);
        var decoder = new StreamingDecoder(_model, CPU);

        var chunked = codes.Chunk(chunkFrames).SelectMany(chunk => decoder.Decode(chunk)).ToArray();

        Assert.Equal(whole.Length, chunked.Length);
        Assert.Equal(0f, whole.Zip(chunked, (a, b) => Math.Abs(a - b)).Max());
    }

    [Fact]
    public void Decode_UnevenChunks_SamplesOfTheWholeSequence()
    {
        var codes = Codes(97, seed: 4);
        var whole = Code2WavDecoding.DecodeWhole(_model, CPU, codes);
        var decoder = new StreamingDecoder(_model, CPU);
        var sizes = new[] { 3, 1, 40, 7, 25, 21 };

        var chunked = new List<float>();
        var start = 0;
        foreach (var size in sizes)
        {
            chunked.AddRange(decoder.Decode(codes[start..(start + size)]));
            start += size;
        }

        Assert.Equal(whole, chunked);
    }

    [Fact]
    public void DecodeWhole_OneFrameChanged_EarlierSamplesUnchanged()
    {
        var codes = Codes(40, seed: 5);
        var changed = (int[])codes.Clone();
        changed[20] = (changed[20] + 1) % _model.Config.CodebookSize;

        var before = Code2WavDecoding.DecodeWhole(_model, CPU, codes);
        var after = Code2WavDecoding.DecodeWhole(_model, CPU, changed);

        var hop = _model.Config.HopLength;
        Assert.Equal(before[..(20 * hop)], after[..(20 * hop)]);
        Assert.NotEqual(before[(20 * hop)..(21 * hop)], after[(20 * hop)..(21 * hop)]);
    }

    [Fact]
    public void DecodeWhole_DefaultModel_HopSamplesPerFrameInRange()
    {
        var samples = Code2WavDecoding.DecodeWhole(_model, CPU, Codes(10, seed: 6));

        Assert.Equal(10 * 480, samples.Length);
        Assert.All(samples, sample => Assert.InRange(sample, -1f, 1f));
        Assert.True(samples.Select(Math.Abs).Average() > 1e-3, "the random vocoder should not be silent");
    }

    [Fact]
    public void Decode_CodeOutsideTheCodebook_ThrowsNamingIt()
    {
        var decoder = new StreamingDecoder(_model, CPU);

        var error = Assert.Throws<ArgumentException>(() => decoder.Decode([1, 2, 1024]));

        Assert.Contains("codes[2] is 1024", error.Message, StringComparison.Ordinal);
    }

    private static int[] Codes(int frames, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, frames).Select(_ => random.Next(DefaultCode2WavModel.Config.CodebookSize))];
    }
}
