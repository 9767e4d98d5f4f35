using System.Runtime.InteropServices;

namespace Omni.Common.Numerics;

/// <summary>
/// Pins MKL's conditional numerical reproducibility for the process, so that the same inputs give the same bits
/// whatever the buffers' alignment (libtorch-cpu's float32 matrix products take alignment-dependent MKL code paths
/// otherwise, and two identical calls can differ). MKL reads <c>MKL_CBWR</c> once, when it initialises, so this
/// must run before the first libtorch call: every assembly that runs TorchSharp calls it from a module initializer
/// (build/PinNumericalReproducibility.cs). A user's own <c>MKL_CBWR</c> is honoured, the empty value included
/// (which turns the pinning off).
/// </summary>
public static partial class NumericalReproducibility
{
    public const string Variable = "MKL_CBWR";

    /// <summary>CNR mode on the code path MKL would pick anyway: reproducible at the speed of the default (BENCHMARKS.md).</summary>
    public const string DefaultMode = "AUTO";

    private static readonly Lock Gate = new();

    /// <summary>The value MKL sees, and whether it was the user's (null until <see cref="Pin"/> ran).</summary>
    public static (string Value, bool FromUser)? Mode { get; private set; }

    public static void Pin()
    {
        lock (Gate)
        {
            if (Mode is not null)
            {
                return;
            }
            // The native environment, which is what MKL reads (on Unix .NET keeps its own copy, which
            // Environment.SetEnvironmentVariable changes without telling native code).
            var own = Marshal.PtrToStringUTF8(GetEnv(Variable));
            if (own is not null)
            {
                Mode = (own, true);
                return;
            }
            if (SetEnv(Variable, DefaultMode, 0) != 0)
            {
                throw new InvalidOperationException($"setenv({Variable}) failed with errno {Marshal.GetLastPInvokeError()}.");
            }
            Mode = (DefaultMode, false);
        }
    }

    /// <summary>One line for the stages' start-up log.</summary>
    public static string Describe() => Mode switch
    {
        null => $"{Variable} not pinned",
        ({ Length: 0 }, _) => $"{Variable} set empty by the user: MKL's conditional numerical reproducibility is off",
        (var value, true) => $"{Variable}={value} (set by the user)",
        (var value, false) => $"{Variable}={value} (pinned for reproducible results; set {Variable} to override)",
    };

    [LibraryImport("libc", EntryPoint = "getenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint GetEnv(string name);

    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int SetEnv(string name, string value, int overwrite);
}
