using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace Omni.Common.Metrics;

/// <summary>A family of series sharing a name; each distinct set of label values is one child, created on first use and cached.</summary>
public abstract class MetricFamily(MetricDefinition definition)
{
    public MetricDefinition Definition { get; } = definition;

    internal abstract void Write(StringBuilder output, ExpositionFormat format);

    protected static string Key(string[] labelValues) => string.Join('\u0001', labelValues);

    protected void CheckArity(string[] labelValues)
    {
        if (labelValues.Length != Definition.LabelNames.Length)
        {
            throw new ArgumentException(
                $"{Definition.Name} takes {Definition.LabelNames.Length} label values ({string.Join(", ", Definition.LabelNames)}), got {labelValues.Length}.");
        }
    }

    protected void WriteHeader(StringBuilder output, ExpositionFormat format, string typeName)
    {
        var name = Definition.Name;
        if (format == ExpositionFormat.OpenMetrics && Definition.Type == MetricType.Counter && name.EndsWith("_total", StringComparison.Ordinal))
        {
            name = name[..^"_total".Length];
        }
        output.Append("# HELP ").Append(name).Append(' ').Append(EscapeHelp(Definition.Help, format)).Append('\n');
        output.Append("# TYPE ").Append(name).Append(' ').Append(typeName).Append('\n');
    }

    internal void WriteSample(StringBuilder output, string name, string[] labelValues, string? extraLabel, string? extraValue, double value,
        Exemplar? exemplar = null) =>
        WriteSample(output, name, Definition.LabelNames, labelValues, extraLabel, extraValue, value, exemplar);

    internal static void WriteSample(StringBuilder output, string name, string[] labelNames, string[] labelValues, string? extraLabel,
        string? extraValue, double value, Exemplar? exemplar = null)
    {
        output.Append(name);
        if (labelValues.Length > 0 || extraLabel is not null)
        {
            output.Append('{');
            for (var i = 0; i < labelValues.Length; i++)
            {
                if (i > 0)
                {
                    output.Append(',');
                }
                output.Append(labelNames[i]).Append("=\"").Append(EscapeLabel(labelValues[i])).Append('"');
            }
            if (extraLabel is not null)
            {
                if (labelValues.Length > 0)
                {
                    output.Append(',');
                }
                output.Append(extraLabel).Append("=\"").Append(extraValue).Append('"');
            }
            output.Append('}');
        }
        output.Append(' ').Append(FormatValue(value));
        if (exemplar is not null)
        {
            output.Append(" # {trace_id=\"").Append(exemplar.TraceId).Append("\",span_id=\"").Append(exemplar.SpanId).Append("\"} ")
                .Append(FormatValue(exemplar.Value)).Append(' ').Append(exemplar.Timestamp.ToString("F3", CultureInfo.InvariantCulture));
        }
        output.Append('\n');
    }

    /// <summary>One histogram series: its buckets (le canonical in OpenMetrics, with exemplars), sum and count.</summary>
    internal static void WriteHistogram(StringBuilder output, ExpositionFormat format, string name, string[] labelNames, string[] labelValues,
        Histogram histogram, double[] bounds)
    {
        var (cumulative, sum, count) = histogram.Snapshot();
        var exemplars = format == ExpositionFormat.OpenMetrics ? histogram.Exemplars() : null;
        for (var i = 0; i < cumulative.Length; i++)
        {
            var le = i == bounds.Length ? "+Inf" : format == ExpositionFormat.OpenMetrics ? CanonicalNumber(bounds[i]) : FormatValue(bounds[i]);
            WriteSample(output, name + "_bucket", labelNames, labelValues, "le", le, cumulative[i], exemplars?[i]);
        }
        WriteSample(output, name + "_sum", labelNames, labelValues, null, null, sum);
        WriteSample(output, name + "_count", labelNames, labelValues, null, null, count);
    }

    public static string FormatValue(double value) => value switch
    {
        double.PositiveInfinity => "+Inf",
        double.NegativeInfinity => "-Inf",
        double.NaN => "NaN",
        _ => value.ToString("R", CultureInfo.InvariantCulture),
    };

    /// <summary>
    /// A number as OpenMetrics requires it where it must be canonical (the <c>le</c> label): Go's shortest form, as
    /// the reference client writes it (Python's <c>floatToGoString</c>): <c>1.0</c>, <c>0.25</c>, <c>262144.0</c>,
    /// <c>1.048576e+06</c>, <c>+Inf</c>.
    /// </summary>
    public static string CanonicalNumber(double value)
    {
        if (!double.IsFinite(value))
        {
            return FormatValue(value);
        }
        var text = value.ToString("R", CultureInfo.InvariantCulture);
        var exponent = text.IndexOf('E', StringComparison.Ordinal);
        if (exponent >= 0)
        {
            // Python's repr: "1e-05", "1.5e+16".
            var power = int.Parse(text[(exponent + 1)..], CultureInfo.InvariantCulture);
            return string.Create(CultureInfo.InvariantCulture, $"{text[..exponent]}e{(power < 0 ? '-' : '+')}{Math.Abs(power):00}");
        }
        if (!text.Contains('.', StringComparison.Ordinal))
        {
            text += ".0";
        }
        var dot = text.IndexOf('.', StringComparison.Ordinal);
        if (value > 0 && dot > 6)
        {
            // Go switches to an exponent from 1e+06.
            var mantissa = $"{text[0]}.{text[1..dot]}{text[(dot + 1)..]}".TrimEnd('0', '.');
            return string.Create(CultureInfo.InvariantCulture, $"{mantissa}e+0{dot - 1}");
        }
        return text;
    }

    /// <summary>HELP text: backslash and newline escaped in both formats, double quotes too in OpenMetrics.</summary>
    private static string EscapeHelp(string help, ExpositionFormat format)
    {
        var escaped = help.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
        return format == ExpositionFormat.OpenMetrics ? escaped.Replace("\"", "\\\"", StringComparison.Ordinal) : escaped;
    }

    private static string EscapeLabel(string value) => value.Replace("\\", "\\\\", StringComparison.Ordinal)
        .Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
}

/// <summary>A family whose children are of type <typeparamref name="TChild"/>.</summary>
public abstract class MetricFamily<TChild>(MetricDefinition definition) : MetricFamily(definition)
    where TChild : class
{
    private readonly ConcurrentDictionary<string, (string[] Labels, TChild Child)> _children = new();

    /// <summary>The child for these label values, in the order of the definition's label names. Cache it; do not call per sample.</summary>
    public TChild WithLabels(params string[] labelValues)
    {
        CheckArity(labelValues);
        return _children.GetOrAdd(Key(labelValues), _ => ((string[])labelValues.Clone(), Create())).Child;
    }

    protected abstract TChild Create();

    protected IEnumerable<(string[] Labels, TChild Child)> Children =>
        _children.Values.OrderBy(entry => Key(entry.Labels), StringComparer.Ordinal);
}
