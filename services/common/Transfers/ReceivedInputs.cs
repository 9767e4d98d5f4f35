using Omni.Common.Payloads;
using Omni.Common.Validation;
using Omni.Contracts.V1;

namespace Omni.Common.Transfers;

/// <summary>The complete input tensors of one stage call, by name, and how each chunk's decode went.</summary>
public sealed record ReceivedInputs(IReadOnlyDictionary<string, ReceivedTensor> Tensors, IReadOnlyList<ChunkTiming> Chunks)
{
    /// <summary>The named tensor; INVALID_ARGUMENT when the call's input did not carry it.</summary>
    public ReceivedTensor Require(string name) =>
        Tensors.TryGetValue(name, out var tensor) ? tensor : throw RequestValidator.Invalid("inputs", $"must carry tensor '{name}'");
}
