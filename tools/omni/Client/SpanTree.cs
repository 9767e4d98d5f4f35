using System.Diagnostics;
using System.Globalization;
using System.Text;
using Omni.Contracts.V1;

namespace Omni.Cli.Client;

/// <summary>
/// The request's spans as a tree with durations, read from its final message (the same measurements the services
/// put on the exported spans), for a user without a tracing backend.
/// </summary>
public static class SpanTree
{
    /// <summary>A traceparent for a new trace, sampled, so every service records it whatever its sampling ratio.</summary>
    public static string NewTraceParent() =>
        $"00-{ActivityTraceId.CreateRandom().ToHexString()}-{ActivitySpanId.CreateRandom().ToHexString()}-01";

    public static string Render(GenerateFinal final)
    {
        ArgumentNullException.ThrowIfNull(final);
        var children = new List<(string Label, double Ms, IReadOnlyList<(string Name, double Ms)> Phases)>
        {
            ("omni.queue", final.QueueTimeMs, []),
        };
        foreach (var stage in final.Stages)
        {
            children.Add(($"omni.stage_call {stage.Stage} (stage {stage.StageId}, replica {stage.ReplicaId})", stage.GenTimeMs,
                [.. stage.Timings.Select(timing => ($"{stage.Stage}.{PhaseName(timing.Name)}", timing.Milliseconds))]));
        }
        foreach (var transfer in final.Transfers)
        {
            children.Add(($"omni.transfer {transfer.FromStage}[{transfer.FromReplica}] -> {transfer.ToStage}[{transfer.ToReplica}] " +
                $"{transfer.Connector}, {transfer.Bytes} B in {transfer.Chunks} chunks", transfer.DurationMs, []));
        }
        var rows = new List<(string Label, double Ms)> { ("omni.request", final.E2ETimeMs) };
        for (var i = 0; i < children.Count; i++)
        {
            var last = i == children.Count - 1;
            rows.Add(($"{(last ? "└─" : "├─")} {children[i].Label}", children[i].Ms));
            for (var j = 0; j < children[i].Phases.Count; j++)
            {
                var (name, ms) = children[i].Phases[j];
                rows.Add(($"{(last ? "   " : "│  ")}{(j == children[i].Phases.Count - 1 ? "└─" : "├─")} {name}", ms));
            }
        }
        var width = rows.Max(row => row.Label.Length) + 2;
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"Trace {(final.TraceId.Length > 0 ? final.TraceId : "(none)")}\n");
        foreach (var (label, ms) in rows)
        {
            text.Append(label.PadRight(width)).Append(string.Create(CultureInfo.InvariantCulture, $"{ms,10:F1} ms")).Append('\n');
        }
        return text.ToString();
    }

    /// <summary>The span name of a phase a stage timed (the diffusion stage reports its denoising loop as "exec").</summary>
    private static string PhaseName(string timing) => timing == "exec" ? "denoise" : timing;
}
