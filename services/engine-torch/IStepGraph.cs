namespace Omni.Common.Torch;

/// <summary>
/// A step's work recorded once and launched whole (<see cref="CudaGraph"/>), over inputs refilled in place and outputs
/// overwritten by each replay.
/// </summary>
public interface IStepGraph : IDisposable
{
    void Replay();
}
