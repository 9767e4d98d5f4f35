namespace Omni.DiffusionStage.Engine;

/// <summary>Told after each denoising step, on the generating thread.</summary>
public interface IDiffusionStepObserver
{
    /// <param name="stepIndex">0-based index of the step just finished.</param>
    /// <param name="elapsed">Time since the denoising loop started (cumulative, not this step's duration).</param>
    void OnStep(int stepIndex, TimeSpan elapsed);
}
