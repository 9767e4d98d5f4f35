using System.Text;

namespace Omni.Common.Metrics;

/// <summary>One monotonically increasing series.</summary>
public sealed class Counter
{
    private double _value;

    public double Value => Volatile.Read(ref _value);

    public void Inc(double amount = 1)
    {
        if (amount < 0 || double.IsNaN(amount))
        {
            throw new ArgumentOutOfRangeException(nameof(amount), "A counter only increases.");
        }
        AtomicDouble.Add(ref _value, amount);
    }

    /// <summary>Raises the counter to <paramref name="total"/> when that is higher (for totals read from elsewhere).</summary>
    public void IncTo(double total)
    {
        var current = Volatile.Read(ref _value);
        while (total > current)
        {
            var seen = Interlocked.CompareExchange(ref _value, total, current);
            if (seen.Equals(current))
            {
                return;
            }
            current = seen;
        }
    }
}

public sealed class CounterFamily(MetricDefinition definition) : MetricFamily<Counter>(definition)
{
    protected override Counter Create() => new();

    internal override void Write(StringBuilder output, ExpositionFormat format)
    {
        WriteHeader(output, format, "counter");
        foreach (var (labels, child) in Children)
        {
            WriteSample(output, Definition.Name, labels, null, null, child.Value);
        }
    }
}
