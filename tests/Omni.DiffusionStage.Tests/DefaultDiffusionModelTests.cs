using Omni.DiffusionStage.Model;

namespace Omni.DiffusionStage.Tests;

public sealed class DefaultDiffusionModelTests
{
    [Fact]
    public void EnsureCached_GeneratedTwice_ByteIdenticalCheckpoints()
    {
        using var first = new TempDirectory();
        using var second = new TempDirectory();

        var firstDirectory = DefaultDiffusionModel.EnsureCached(first.Path);
        var secondDirectory = DefaultDiffusionModel.EnsureCached(second.Path);

        foreach (var file in new[] { DiffusionCheckpoint.ConfigFileName, DiffusionCheckpoint.WeightsFileName })
        {
            Assert.Equal(File.ReadAllBytes(Path.Combine(firstDirectory, file)), File.ReadAllBytes(Path.Combine(secondDirectory, file)));
        }
    }

    [Fact]
    public void EnsureCached_AlreadyPresent_ReusesTheFiles()
    {
        using var cache = new TempDirectory();
        var directory = DefaultDiffusionModel.EnsureCached(cache.Path);
        var weights = Path.Combine(directory, DiffusionCheckpoint.WeightsFileName);
        var marker = new DateTime(2001, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(weights, marker);

        var again = DefaultDiffusionModel.EnsureCached(cache.Path);

        Assert.Equal(directory, again);
        Assert.Equal(marker, File.GetLastWriteTimeUtc(weights));
        Assert.Single(Directory.GetDirectories(cache.Path));
    }

    [Fact]
    public void ResolveDirectory_CacheRoot_IsVersionedSubdirectory()
    {
        Assert.Equal(Path.Combine("/some/root", "diffusion-default-v1"), DefaultDiffusionModel.ResolveDirectory("/some/root"));
    }
}
