namespace Omni.Common.Metrics;

public static class MetricLabels
{
    public const string ModelName = "model_name";
    public const string Engine = "engine";
    public const string StageId = "stage_id";
    public const string ReplicaId = "replica_id";
    public const string FinishedReason = "finished_reason";
    public const string Reason = "reason";
    public const string FromStage = "from_stage";
    public const string FromReplica = "from_replica";
    public const string ToStage = "to_stage";
    public const string ToReplica = "to_replica";

    public static readonly string[] Engine4 = [ModelName, Engine, StageId, ReplicaId];
    public static readonly string[] Pipeline = [ModelName];
    /// <summary>Modality families of an output a stage replica produced (audio, video): the pipeline's model and that replica.</summary>
    public static readonly string[] Modality = [ModelName, StageId, ReplicaId];
    public static readonly string[] Transfer = [ModelName, FromStage, FromReplica, ToStage, ToReplica];
}
