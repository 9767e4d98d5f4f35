using System.Text.Json;
using System.Text.Json.Serialization;

namespace Omni.Cli.Bench;

/// <summary>
/// The --json file: <c>{"schema": "omni-bench/1", "command": [...], "started": ISO time, "points": [PointResult...]}</c>,
/// every duration in seconds, summaries as {count, mean, p50, p90, p99, max} (docs/usage.md, "omni bench").
/// </summary>
public static class BenchJson
{
    public const string Schema = "omni-bench/1";

    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static void Write(string path, IReadOnlyList<string> command, DateTimeOffset started, IReadOnlyList<PointResult> points)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }
        File.WriteAllText(path, JsonSerializer.Serialize(new { Schema, Command = command, Started = started, Points = points }, Options));
    }
}
