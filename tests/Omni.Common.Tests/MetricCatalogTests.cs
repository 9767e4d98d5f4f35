using Omni.Common.Metrics;

namespace Omni.Common.Tests;

public sealed class MetricCatalogTests
{
    private static IEnumerable<MetricDefinition> All =>
        MetricCatalog.All;

    [Fact]
    public void Catalog_Counters_EndWithTotal()
    {
        Assert.All(All.Where(d => d.Type == MetricType.Counter), d => Assert.EndsWith("_total", d.Name));
    }

    [Fact]
    public void Catalog_Histograms_HaveIncreasingBuckets()
    {
        Assert.All(All.Where(d => d.Type == MetricType.Histogram), d =>
        {
            Assert.NotNull(d.Buckets);
            Assert.True(d.Buckets!.Zip(d.Buckets.Skip(1)).All(pair => pair.First < pair.Second), d.Name);
        });
    }

    [Fact]
    public void Catalog_EngineFamilies_CarryFourIdentityLabels()
    {
        Assert.All(MetricCatalog.ArFamilies.Concat(MetricCatalog.DiffusionFamilies).Concat(MetricCatalog.Code2WavFamilies),
            d => Assert.Equal(MetricLabels.Engine4, d.LabelNames.Take(4)));
    }

    [Fact]
    public void Buckets_Bytes_Are1KiBTo256MiB()
    {
        Assert.Equal(10, MetricBuckets.Bytes.Length);
        Assert.Equal(1024, MetricBuckets.Bytes[0]);
        Assert.Equal(256 * 1024 * 1024, MetricBuckets.Bytes[^1]);
    }

    [Fact]
    public void Buckets_Tokens_Follow125UpToLimit()
    {
        Assert.Equal([1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000], MetricBuckets.Tokens(5000));
    }

    [Fact]
    public void CreateHistogram_Twice_ReturnsSameCollector()
    {
        var registry = new MetricRegistry();

        var first = registry.Histogram(MetricCatalog.DiffusionStepTime);
        var second = registry.Histogram(MetricCatalog.DiffusionStepTime);

        Assert.Same(first, second);
    }

    [Fact]
    public void CreateCounter_ForHistogramDefinition_Throws()
    {
        var registry = new MetricRegistry();

        Assert.Throws<ArgumentException>(() => { registry.Counter(MetricCatalog.DiffusionStepTime); });
    }
}
