using System.Text.RegularExpressions;

namespace Omni.Common.Metrics;

/// <summary>Name and label rules of the Prometheus data model (metric names may contain ':').</summary>
public static partial class MetricNames
{
    public static void Validate(MetricDefinition definition)
    {
        if (!MetricName().IsMatch(definition.Name))
        {
            throw new ArgumentException($"'{definition.Name}' is not a valid metric name.", nameof(definition));
        }
        foreach (var label in definition.LabelNames)
        {
            if (!LabelName().IsMatch(label) || label.StartsWith("__", StringComparison.Ordinal) || label == "le")
            {
                throw new ArgumentException($"'{label}' is not a valid label name for {definition.Name}.", nameof(definition));
            }
        }
        if (definition.LabelNames.Distinct().Count() != definition.LabelNames.Length)
        {
            throw new ArgumentException($"{definition.Name} repeats a label name.", nameof(definition));
        }
    }

    [GeneratedRegex("^[a-zA-Z_:][a-zA-Z0-9_:]*$")]
    private static partial Regex MetricName();

    [GeneratedRegex("^[a-zA-Z_][a-zA-Z0-9_]*$")]
    private static partial Regex LabelName();
}
