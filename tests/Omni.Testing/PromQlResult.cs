namespace Omni.Testing;

/// <summary>An instant query's answer: "success" or "error", the error, and each series' labels and value.</summary>
public sealed record PromQlResult(string Status, string? Error, IReadOnlyList<(IReadOnlyDictionary<string, string> Labels, double Value)> Series);
