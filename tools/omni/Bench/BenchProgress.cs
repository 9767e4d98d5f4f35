using System.Diagnostics;

namespace Omni.Cli.Bench;

/// <summary>The live figures of a running point: done and failed, throughput so far, the current p50 TTFT.</summary>
public sealed class BenchProgress(string load)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly List<double> _ttft = [];
    private int _done;
    private int _failed;

    public void Add(RequestRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        lock (_ttft)
        {
            _done++;
            if (!record.Succeeded)
            {
                _failed++;
            }
            else if (record.Ttft is { } ttft)
            {
                _ttft.Add(ttft);
            }
        }
    }

    public string Line()
    {
        lock (_ttft)
        {
            var p50 = _ttft.Count == 0 ? "-" : $"{Statistics.Percentile([.. _ttft.Order()], 0.5) * 1000:0} ms";
            var rate = _clock.Elapsed.TotalSeconds > 0 ? (_done - _failed) / _clock.Elapsed.TotalSeconds : 0;
            return $"{load}: {_done} done, {_failed} failed, {rate:0.00} req/s, p50 TTFT {p50}";
        }
    }
}
