using System.Globalization;
using System.Text;
using Omni.Contracts.V1;

namespace Omni.Cli.Client;

public static class ResultPrinter
{
    /// <summary>Writes the image (if any) into <paramref name="folder"/> and returns its path.</summary>
    public static string? SaveImage(GenerateResult result, string folder)
    {
        if (result.Image is null)
        {
            return null;
        }
        Directory.CreateDirectory(folder);
        var path = Path.GetFullPath(Path.Combine(folder, $"omni-{result.Image.Seed}-{result.Image.Width}x{result.Image.Height}.png"));
        File.WriteAllBytes(path, result.Image.Data.ToByteArray());
        return path;
    }

    /// <summary>One line: finish reason, tokens, queue, each stage and end to end.</summary>
    public static string Summary(GenerateFinal final)
    {
        var line = new StringBuilder();
        line.Append(CultureInfo.InvariantCulture, $"finish={Name(final.FinishReason)} tokens={final.Usage?.PromptTokens ?? 0}+{final.Usage?.CompletionTokens ?? 0}");
        line.Append(CultureInfo.InvariantCulture, $" queue={final.QueueTimeMs:F1}ms");
        foreach (var stage in final.Stages)
        {
            line.Append(CultureInfo.InvariantCulture, $" {stage.Stage}[{stage.ReplicaId}]={stage.GenTimeMs:F0}ms");
            if (stage.Timings.Count > 0)
            {
                line.Append('(').AppendJoin(' ', stage.Timings.Select(t => string.Create(CultureInfo.InvariantCulture, $"{t.Name}={t.Milliseconds:F0}"))).Append(')');
            }
        }
        line.Append(CultureInfo.InvariantCulture, $" e2e={final.E2ETimeMs:F0}ms");
        return line.ToString();
    }

    private static string Name(FinishReason reason) => reason switch
    {
        FinishReason.Stop => "stop",
        FinishReason.Length => "length",
        FinishReason.Abort => "abort",
        _ => "unspecified",
    };
}
