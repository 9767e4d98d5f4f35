namespace Omni.Cli.Bench;

/// <summary>
/// When requests are sent at a fixed rate: the gaps between arrivals, drawn from a gamma distribution of mean
/// 1/rate with shape = burstiness, as vLLM's benchmark does (burstiness 1 is a Poisson process; below 1 burstier,
/// above 1 more regular). Seeded: the same rate, burstiness and seed give the same gaps.
/// </summary>
public sealed class ArrivalProcess
{
    private readonly Random _random;
    private readonly double _rate;
    private readonly double _burstiness;

    public ArrivalProcess(double rate, double burstiness, ulong seed)
    {
        if (!(rate > 0) || double.IsInfinity(rate))
        {
            throw new ArgumentOutOfRangeException(nameof(rate), "The request rate must be positive and finite.");
        }
        if (!(burstiness > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(burstiness), "The burstiness must be positive.");
        }
        (_rate, _burstiness) = (rate, burstiness);
        _random = new Random(unchecked((int)(seed * 2654435761UL)));
    }

    /// <summary>The gap before the next arrival.</summary>
    public TimeSpan NextGap() => TimeSpan.FromSeconds(Gamma(_burstiness) / (_burstiness * _rate));

    /// <summary>A draw from Gamma(shape, 1) by Marsaglia and Tsang's method (with the shape &lt; 1 boost).</summary>
    private double Gamma(double shape)
    {
        if (shape < 1)
        {
            return Gamma(shape + 1) * Math.Pow(Uniform(), 1 / shape);
        }
        var d = shape - 1.0 / 3;
        var c = 1 / Math.Sqrt(9 * d);
        while (true)
        {
            double x, v;
            do
            {
                x = Normal();
                v = 1 + c * x;
            }
            while (v <= 0);
            v = v * v * v;
            var u = Uniform();
            if (u < 1 - 0.0331 * x * x * x * x || Math.Log(u) < 0.5 * x * x + d * (1 - v + Math.Log(v)))
            {
                return d * v;
            }
        }
    }

    private double Uniform() => 1 - _random.NextDouble(); // (0, 1]

    private double Normal() => Math.Sqrt(-2 * Math.Log(Uniform())) * Math.Cos(2 * Math.PI * _random.NextDouble());
}
