using System.Runtime.InteropServices;

namespace Omni.Common.Numerics;

/// <summary>
/// Turns libtorch's NNPACK convolutions off, as <c>torch.backends.nnpack.set_flags(False)</c> does (TorchSharp has no
/// binding). On CPUs NNPACK does not support, libtorch 2.10 tries to initialise it at every convolution and logs
/// "Could not initialize NNPACK! Reason: Unsupported hardware." each time (hundreds of lines a minute from the
/// diffusion decoder); where it is supported it would make the convolution kernels depend on the machine. The same
/// oneDNN/ATen kernels run either way on the machines this project serves from.
/// </summary>
public static partial class Nnpack
{
    private const string LibTorchCpu = "libtorch_cpu";

    /// <summary>False when this libtorch has no such switch (another build): nothing changes then.</summary>
    public static bool Disable()
    {
        try
        {
            SetUserEnabledNnpack(GlobalContext(), false);
            return !UserEnabledNnpack(GlobalContext());
        }
        catch (Exception missing) when (missing is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    // at::globalContext() and at::Context::setUserEnabledNNPACK(bool) / userEnabledNNPACK() const (Itanium C++ ABI: `this` first).
    [LibraryImport(LibTorchCpu, EntryPoint = "_ZN2at13globalContextEv")]
    private static partial IntPtr GlobalContext();

    [LibraryImport(LibTorchCpu, EntryPoint = "_ZN2at7Context20setUserEnabledNNPACKEb")]
    private static partial void SetUserEnabledNnpack(IntPtr context, [MarshalAs(UnmanagedType.U1)] bool enabled);

    [LibraryImport(LibTorchCpu, EntryPoint = "_ZNK2at7Context17userEnabledNNPACKEv")]
    [return: MarshalAs(UnmanagedType.U1)]
    private static partial bool UserEnabledNnpack(IntPtr context);
}
