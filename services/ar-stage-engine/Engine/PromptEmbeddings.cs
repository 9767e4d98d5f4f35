namespace Omni.ArStage.Engine;

/// <summary>A prompt given as embeddings: <paramref name="Rows"/> positions of <paramref name="Width"/> floats, row-major.</summary>
public sealed record PromptEmbeddings(float[] Data, int Rows, int Width);
