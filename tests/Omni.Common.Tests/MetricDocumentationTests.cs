using Omni.Testing;
using Omni.Common.Metrics;

namespace Omni.Common.Tests;

public sealed class MetricDocumentationTests
{
    /// <summary>docs/metrics.md holds the tables the catalog renders. Run with OMNI_UPDATE_DOCS=1 to rewrite them.</summary>
    [Fact]
    public void MetricsDoc_GeneratedTables_MatchCatalog()
    {
        var path = Path.Combine(RepositoryPaths.Root, "docs", "metrics.md");
        var document = File.ReadAllText(path);
        var begin = document.IndexOf(MetricDocumentation.BeginMarker, StringComparison.Ordinal);
        var end = document.IndexOf(MetricDocumentation.EndMarker, StringComparison.Ordinal);
        Assert.True(begin >= 0 && end > begin, "docs/metrics.md lacks the generated-table markers");
        var current = document[begin..(end + MetricDocumentation.EndMarker.Length + 1)];
        var expected = MetricDocumentation.Render();

        if (Environment.GetEnvironmentVariable("OMNI_UPDATE_DOCS") == "1" && current != expected)
        {
            File.WriteAllText(path, document.Replace(current, expected, StringComparison.Ordinal));
            current = expected;
        }

        Assert.Equal(expected, current);
    }

}
