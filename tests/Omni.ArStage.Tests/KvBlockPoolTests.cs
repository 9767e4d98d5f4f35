using Omni.ArStage.Model;
using Omni.ArStage.Tests.Support;
using static TorchSharp.torch;

namespace Omni.ArStage.Tests;

/// <summary>The pool's two layouts (keys and values apart, or side by side) store and read the same keys and values.</summary>
public sealed class KvBlockPoolTests
{
    private const int BlockSize = 4;

    private static readonly TransformerConfig Config = TestModels.SmallQwen2();

    private static readonly long[] Slots = [5, 6, 7, 8, 13, 2];

    private static (Tensor Keys, Tensor Values) Gathered(bool keysBesideValues, bool writeTogether)
    {
        var pool = new KvBlockPool(Config, 8, BlockSize, ScalarType.Float32, CPU, keysBesideValues);
        var generator = new Generator(11);
        var keys = randn(Slots.Length, Config.NumKeyValueHeads, Config.HeadDim, generator: generator);
        var values = randn(Slots.Length, Config.NumKeyValueHeads, Config.HeadDim, generator: generator);
        if (writeTogether)
        {
            pool.Write(0, tensor(Slots), cat([keys, values], 1));
        }
        else
        {
            pool.Write(0, tensor(Slots), keys, values);
        }
        // Two runs of 7 positions: blocks 1 and 2 (slots 4 .. 11), blocks 3 and 0 (slots 12 .. 15, then 0 .. 3).
        var (gatheredKeys, gatheredValues) = pool.Gather(0, tensor(new long[] { 1, 2, 3, 0 }), tiles: 2, length: 7);
        var result = (gatheredKeys.contiguous(), gatheredValues.contiguous());
        pool.Dispose();
        return result;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Gather_KeysBesideValues_SameAsApart(bool writeTogether)
    {
        using var scope = NewDisposeScope();
        var (expectedKeys, expectedValues) = Gathered(keysBesideValues: false, writeTogether: false);

        var (keys, values) = Gathered(keysBesideValues: true, writeTogether);

        Assert.True(keys.equal(expectedKeys).all().item<bool>() && values.equal(expectedValues).all().item<bool>());
    }

    [Fact]
    public void Write_TogetherIntoAPoolApart_SameAsApart()
    {
        using var scope = NewDisposeScope();
        var (expectedKeys, expectedValues) = Gathered(keysBesideValues: false, writeTogether: false);

        var (keys, values) = Gathered(keysBesideValues: false, writeTogether: true);

        Assert.True(keys.equal(expectedKeys).all().item<bool>() && values.equal(expectedValues).all().item<bool>());
    }

    [Fact]
    public void Gather_WrittenSlots_ReadAtTheirPositions()
    {
        using var scope = NewDisposeScope();

        var (keys, _) = Gathered(keysBesideValues: true, writeTogether: true);

        // Slot 5 (block 1, offset 1) is run 0's position 1; slot 13 (block 3, offset 1) is run 1's position 1.
        var generator = new Generator(11);
        var written = randn(Slots.Length, Config.NumKeyValueHeads, Config.HeadDim, generator: generator);
        Assert.True(keys[0, .., 1].equal(written[0]).all().item<bool>() && keys[1, .., 1].equal(written[4]).all().item<bool>());
    }
}
