using System.Text;

namespace Omni.Common.Metrics;

/// <summary>One series that goes up and down.</summary>
public sealed class Gauge
{
    private double _value;

    public double Value => Volatile.Read(ref _value);

    public void Set(double value) => Volatile.Write(ref _value, value);

    public void Inc(double amount = 1) => AtomicDouble.Add(ref _value, amount);

    public void Dec(double amount = 1) => AtomicDouble.Add(ref _value, -amount);
}

public sealed class GaugeFamily(MetricDefinition definition) : MetricFamily<Gauge>(definition)
{
    protected override Gauge Create() => new();

    internal override void Write(StringBuilder output, ExpositionFormat format)
    {
        WriteHeader(output, format, "gauge");
        foreach (var (labels, child) in Children)
        {
            WriteSample(output, Definition.Name, labels, null, null, child.Value);
        }
    }
}
