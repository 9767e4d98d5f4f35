namespace Omni.ArStage.Model;

/// <summary>
/// Deterministic normal samples from a seed (SplitMix64 + Box-Muller), independent of libtorch's generators so
/// that generated weights do not change with the torch version or CPU kernel dispatch.
/// </summary>
public sealed class SeededNormal(ulong seed)
{
    private readonly SplitMix64 _random = new(seed);
    private double? _spare;

    public float[] Sample(long count, double std)
    {
        var values = new float[count];
        for (long i = 0; i < count; i++)
        {
            values[i] = (float)(Next() * std);
        }

        return values;
    }

    public double Next()
    {
        if (_spare is { } spare)
        {
            _spare = null;
            return spare;
        }

        // u1 in (0, 1] so the logarithm is finite.
        var u1 = (_random.NextUInt64() >> 11) * (1.0 / (1UL << 53)) + (1.0 / (1UL << 54));
        var u2 = (_random.NextUInt64() >> 11) * (1.0 / (1UL << 53));
        var radius = Math.Sqrt(-2.0 * Math.Log(u1));
        var angle = 2.0 * Math.PI * u2;
        _spare = radius * Math.Sin(angle);
        return radius * Math.Cos(angle);
    }
}
