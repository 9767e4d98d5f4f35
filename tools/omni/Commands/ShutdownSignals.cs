using System.Runtime.InteropServices;

namespace Omni.Cli.Commands;

/// <summary>
/// Turns SIGINT and SIGTERM into cancellation, so the commands that started services stop them cleanly
/// (docker stop and Kubernetes send SIGTERM; the runtime would otherwise exit and orphan the children).
/// </summary>
public sealed class ShutdownSignals : IDisposable
{
    private readonly CancellationTokenSource _cancellation;
    private readonly PosixSignalRegistration[] _registrations;

    public ShutdownSignals(CancellationToken linked)
    {
        _cancellation = CancellationTokenSource.CreateLinkedTokenSource(linked);
        _registrations =
        [
            PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle),
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle),
        ];
    }

    public CancellationToken Token => _cancellation.Token;

    public void Dispose()
    {
        foreach (var registration in _registrations)
        {
            registration.Dispose();
        }
        _cancellation.Dispose();
    }

    private void Handle(PosixSignalContext context)
    {
        context.Cancel = true;
        _cancellation.Cancel();
    }
}
