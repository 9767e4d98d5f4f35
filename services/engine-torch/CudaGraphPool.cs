namespace Omni.Common.Torch;

/// <summary>A CUDA graph memory pool id (libtorch's MempoolId_t); the default is "the graph's own pool".</summary>
public readonly record struct CudaGraphPool(ulong First, ulong Second);
