using Omni.Contracts.V1;

namespace Omni.Orchestrator.Graph;

/// <summary>The client-facing outputs by the names the pipeline definition uses.</summary>
public static class Modalities
{
    public const string Text = "text";
    public const string Image = "image";
    public const string Audio = "audio";
    public const string Video = "video";

    /// <summary>In the order a request's finish reason is taken from (the first the request asked for).</summary>
    public static IReadOnlyList<string> All { get; } = [Text, Image, Audio, Video];

    public static string NameOf(Modality modality) => modality switch
    {
        Modality.Text => Text,
        Modality.Image => Image,
        Modality.Audio => Audio,
        Modality.Video => Video,
        _ => throw new ArgumentOutOfRangeException(nameof(modality), modality, "not a client modality"),
    };
}
