using System.Runtime.InteropServices;

namespace Omni.ArStage.Engine;

/// <summary>
/// A CUDA device's free and total memory, from the CUDA runtime libtorch itself loaded (cudaMemGetInfo): TorchSharp
/// exposes no memory query. Null where no CUDA runtime can be found or it reports an error.
/// </summary>
internal static class CudaMemory
{
    private static readonly string[] RuntimeNames = ["libcudart.so", "libcudart.so.13", "libcudart.so.12", "libcudart.so.11.0"];

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int SetDevice(int device);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int MemGetInfo(out nuint free, out nuint total);

    public static (long Free, long Total)? TryGetInfo(int deviceIndex)
    {
        foreach (var name in RuntimeNames)
        {
            if (NativeLibrary.TryLoad(name, out var runtime)
                && NativeLibrary.TryGetExport(runtime, "cudaSetDevice", out var setDevice)
                && NativeLibrary.TryGetExport(runtime, "cudaMemGetInfo", out var memGetInfo))
            {
                if (Marshal.GetDelegateForFunctionPointer<SetDevice>(setDevice)(deviceIndex) != 0)
                {
                    return null;
                }
                return Marshal.GetDelegateForFunctionPointer<MemGetInfo>(memGetInfo)(out var free, out var total) == 0 ? ((long)free, (long)total) : null;
            }
        }
        return null;
    }
}
