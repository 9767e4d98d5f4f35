namespace Omni.ArStage.Engine;

/// <summary>
/// Withholds text until it can no longer be part of a stop string. Text is released once no suffix of it can still
/// grow into a stop string; when a stop string appears, only the text before it is released.
/// </summary>
internal sealed class StopStringFilter(IReadOnlyList<string> stopStrings)
{
    private readonly string[] _stops = stopStrings.Where(s => !string.IsNullOrEmpty(s)).Distinct(StringComparer.Ordinal).ToArray();
    private string _pending = "";

    public bool Stopped { get; private set; }

    /// <summary>Adds text; returns what may be emitted now and whether a stop string was reached.</summary>
    public (string Text, bool Stopped) Push(string text)
    {
        if (Stopped)
        {
            return ("", true);
        }

        _pending += text;
        if (_stops.Length == 0)
        {
            return (TakeAll(), false);
        }

        var stopAt = -1;
        foreach (var stop in _stops)
        {
            var index = _pending.IndexOf(stop, StringComparison.Ordinal);
            if (index >= 0 && (stopAt < 0 || index < stopAt))
            {
                stopAt = index;
            }
        }

        if (stopAt >= 0)
        {
            Stopped = true;
            var before = _pending[..stopAt];
            _pending = "";
            return (before, true);
        }

        var hold = LongestSuffixThatStartsAStop();
        var release = _pending[..^hold];
        _pending = _pending[^hold..];
        return (release, false);
    }

    /// <summary>Releases everything held back (generation ended without completing a stop string).</summary>
    public string Flush() => Stopped ? "" : TakeAll();

    private string TakeAll()
    {
        var all = _pending;
        _pending = "";
        return all;
    }

    private int LongestSuffixThatStartsAStop()
    {
        var longest = 0;
        foreach (var stop in _stops)
        {
            for (var length = Math.Min(stop.Length - 1, _pending.Length); length > longest; length--)
            {
                if (_pending.AsSpan(_pending.Length - length).SequenceEqual(stop.AsSpan(0, length)))
                {
                    longest = length;
                    break;
                }
            }
        }

        return longest;
    }
}
