using System.Globalization;
using System.Text.RegularExpressions;

namespace Omni.Testing;

/// <summary>Waits for a service's gauge to reach a value, reading its /metrics until it does.</summary>
public static class GaugePolling
{
    private static readonly HttpClient Http = new();

    /// <summary>Throws <see cref="TimeoutException"/> when the first series of <paramref name="name"/> at <paramref name="url"/> is not <paramref name="expected"/> within the timeout (10 s).</summary>
    public static async Task WaitForGaugeAsync(string url, string name, double expected, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        var value = double.NaN;
        while (DateTime.UtcNow < deadline)
        {
            var match = Regex.Match(await Http.GetStringAsync(url), "^" + Regex.Escape(name) + "\\{[^}]*\\} (\\S+)$", RegexOptions.Multiline);
            value = match.Success ? double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : double.NaN;
            if (value == expected)
            {
                return;
            }
            await Task.Delay(20);
        }
        throw new TimeoutException($"{name} at {url} is {value}, not {expected}");
    }
}
