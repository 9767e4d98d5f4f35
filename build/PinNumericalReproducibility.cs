// Compiled into every assembly that runs TorchSharp (build/NumericalReproducibility.props), so that MKL's
// reproducibility is pinned before the first libtorch call, whichever of them makes it.
using System.Runtime.CompilerServices;

namespace Omni.Build;

internal static class PinNumericalReproducibility
{
#pragma warning disable CA2255 // A module initializer is the only hook that runs before any code of a test or library assembly.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Run() => Omni.Common.Numerics.NumericalReproducibility.Pin();
}
