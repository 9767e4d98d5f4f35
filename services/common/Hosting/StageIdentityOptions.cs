using System.ComponentModel.DataAnnotations;

namespace Omni.Common.Hosting;

/// <summary>
/// Who a stage replica is: its place in the pipeline and its labels. Bound from the "Stage" section
/// (flags --stage-id, --replica-id, --engine-id; environment Stage__StageId, Stage__ReplicaId).
/// </summary>
public sealed class StageIdentityOptions
{
    public const string SectionName = "Stage";

    [Range(0, 63)]
    public int StageId { get; set; }

    [Range(0, 9999)]
    public int ReplicaId { get; set; }

    /// <summary>The vLLM "engine" label; defaults to stage_id * 10000 + replica_id, unique and stable per (stage, replica).</summary>
    [Range(0, int.MaxValue)]
    public int? EngineId { get; set; }

    public int ResolvedEngineId => EngineId ?? StageId * 10000 + ReplicaId;

    public string[] LabelValues(string modelName) =>
        [modelName, ResolvedEngineId.ToString(System.Globalization.CultureInfo.InvariantCulture),
            StageId.ToString(System.Globalization.CultureInfo.InvariantCulture), ReplicaId.ToString(System.Globalization.CultureInfo.InvariantCulture)];
}
