using Omni.Contracts.V1;

namespace Omni.Orchestrator.Graph;

/// <summary>The client-facing outputs by the names the pipeline definition uses.</summary>
public static class Modalities
{
    public const string Text = "text";
    public const string Image = "image";

    public static IReadOnlyList<string> All { get; } = [Text, Image];

    public static string NameOf(Modality modality) => modality switch
    {
        Modality.Text => Text,
        Modality.Image => Image,
        _ => throw new ArgumentOutOfRangeException(nameof(modality), modality, "not a client modality"),
    };
}
