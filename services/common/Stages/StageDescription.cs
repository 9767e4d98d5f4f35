using Omni.Contracts.V1;

namespace Omni.Common.Stages;

/// <summary>A stage kind as GetInfo reports it: its engine, and the inputs it consumes and outputs it can produce, by name.</summary>
public sealed record StageDescription(string Kind, string ModelName, int HiddenSize, string Device, IReadOnlyList<string> Inputs,
    IReadOnlyList<string> Outputs)
{
    /// <summary>The checkpoint's chat template, for stages whose model has one.</summary>
    public ChatTemplate? ChatTemplate { get; init; }
}
