using Omni.ArStage.Engine;

namespace Omni.ArStage.Tests;

public sealed class KvPoolSizingTests
{
    private const long GiB = 1L << 30;

    [Fact]
    public void DeviceBytes_H200AfterSmallWeights_UtilizationLessInUseLessReserve()
    {
        // 141 GiB device, 1 GiB in use after the weights, 90 %: 126.9 - 1 - 1 (reserve) GiB for the pool.
        var bytes = KvPoolSizing.DeviceBytes(140 * GiB, 141 * GiB, 0.9);

        Assert.Equal((long)(0.9 * 141 * GiB) - 1 * GiB - KvPoolSizing.ActivationReserveBytes, bytes);
    }

    [Fact]
    public void DeviceBytes_OthersAlreadyHoldTheShare_Nothing()
    {
        Assert.Equal(0, KvPoolSizing.DeviceBytes(10 * GiB, 80 * GiB, 0.5));
    }

    [Fact]
    public void DeviceBytes_NeverMoreThanFree()
    {
        Assert.Equal(4 * GiB - KvPoolSizing.ActivationReserveBytes, KvPoolSizing.DeviceBytes(4 * GiB, 8 * GiB, 1.0));
    }

    [Fact]
    public void Blocks_CappedAtWhatTheSequencesCouldUse()
    {
        // 2 sequences of 100 positions in blocks of 16 can use 2 * 7 blocks, however much memory there is.
        Assert.Equal(14, KvPoolSizing.Blocks(100 * GiB, 1024, maxNumSeqs: 2, maxPositions: 100, blockSize: 16));
    }

    [Fact]
    public void Blocks_NoMemory_StillOneBlock()
    {
        Assert.Equal(1, KvPoolSizing.Blocks(0, 1024, maxNumSeqs: 8, maxPositions: 2048, blockSize: 16));
    }

    [Fact]
    public void CudaMemory_NoSuchDevice_NullNotAnException()
    {
        // Null either way: no CUDA runtime on the machine, or the runtime refuses device 4096.
        Assert.Null(CudaMemory.TryGetInfo(4096));
    }
}
