// Compiled into every assembly that runs TorchSharp (build/NumericalReproducibility.props), so that MKL's
// reproducibility is pinned before the first libtorch call, whichever of them makes it. A process loads several of
// them (a service and its engine, a test assembly and the engine it tests): they all call the one Pin of
// Omni.Engine.Common, which acts once and ignores the calls after.
using System.Runtime.CompilerServices;

namespace Omni.Build;

internal static class PinNumericalReproducibility
{
#pragma warning disable CA2255 // A module initializer is the only hook that runs before any code of a test or library assembly.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Run() => Omni.Common.Numerics.NumericalReproducibility.Pin();
}
