using Microsoft.Extensions.Options;
using Omni.Orchestrator.Configuration;

namespace Omni.Orchestrator.Admission;

/// <summary>Raised when both the in-flight slots and the waiting queue are full.</summary>
public sealed class AdmissionRejectedException(string message) : Exception(message);

/// <summary>Bounded concurrency (max in flight) and a bounded waiting queue in front of it.</summary>
public sealed class AdmissionController(IOptions<PipelineOptions> options)
{
    private readonly SemaphoreSlim _slots = new(options.Value.MaxInflight, options.Value.MaxInflight);
    private readonly int _maxWaiting = options.Value.MaxWaiting;
    private int _waiting;

    public int Waiting => Volatile.Read(ref _waiting);

    /// <summary>Waits for a slot; the returned lease frees it. Throws <see cref="AdmissionRejectedException"/> at once when full.</summary>
    public async ValueTask<IDisposable> EnterAsync(CancellationToken cancellationToken)
    {
        if (_slots.Wait(0))
        {
            return new Lease(_slots);
        }
        if (Interlocked.Increment(ref _waiting) > _maxWaiting)
        {
            Interlocked.Decrement(ref _waiting);
            throw new AdmissionRejectedException($"The orchestrator is full: {options.Value.MaxInflight} requests in flight and {_maxWaiting} waiting.");
        }
        try
        {
            await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
            return new Lease(_slots);
        }
        finally
        {
            Interlocked.Decrement(ref _waiting);
        }
    }

    private sealed class Lease(SemaphoreSlim slots) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                slots.Release();
            }
        }
    }
}
