namespace Omni.Orchestrator.Graph;

/// <summary>What is wrong with a pipeline definition, and the configuration key it is about.</summary>
public sealed record GraphError(string Key, string Message);
