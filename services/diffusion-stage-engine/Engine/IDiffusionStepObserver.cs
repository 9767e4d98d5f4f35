namespace Omni.DiffusionStage.Engine;

/// <summary>Told after each denoising step of a request, on the engine thread.</summary>
public interface IDiffusionStepObserver
{
    /// <param name="stepIndex">0-based index of the request's step just finished.</param>
    /// <param name="duration">
    /// That step's own duration. In a batch, the batched step's duration: each request in it is told once.
    /// </param>
    void OnStep(int stepIndex, TimeSpan duration);
}
