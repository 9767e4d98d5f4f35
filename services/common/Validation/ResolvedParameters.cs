namespace Omni.Common.Validation;

/// <summary>Text parameters after validation, with defaults applied.</summary>
public sealed record ResolvedTextParameters(int MaxTokens, float Temperature, float TopP, int TopK, ulong? Seed, IReadOnlyList<string> Stop);

/// <summary>Image parameters after validation, with defaults applied.</summary>
public sealed record ResolvedImageParameters(int Width, int Height, int Steps, float GuidanceScale, ulong Seed);
