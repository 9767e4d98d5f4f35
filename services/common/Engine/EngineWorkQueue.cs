using System.Diagnostics;

namespace Omni.Common.Engine;

/// <summary>Raised when the waiting queue is full.</summary>
public sealed class QueueFullException(int capacity) : Exception($"The engine queue is full ({capacity} waiting).");

/// <summary>Observes queue transitions (running/waiting counts, queue time).</summary>
public interface IEngineQueueObserver
{
    void OnQueueChanged(int running, int waiting);
}

/// <summary>
/// One engine loop per process: work items run one at a time, in arrival order, on a dedicated thread that owns
/// the model. Waiting items are bounded; a cancelled item that has not started is dropped without running.
/// </summary>
public sealed class EngineWorkQueue : IStageLoad, IDisposable
{
    private readonly object _gate = new();
    private readonly LinkedList<WorkItem> _waiting = new();
    private readonly SemaphoreSlim _signal = new(0);
    private readonly CancellationTokenSource _shutdown = new();
    private readonly Thread _thread;
    private readonly int _maxWaiting;
    private readonly IEngineQueueObserver? _observer;
    private int _running;

    public EngineWorkQueue(string name, int maxWaiting, IEngineQueueObserver? observer = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxWaiting, 0);
        _maxWaiting = maxWaiting;
        _observer = observer;
        _thread = new Thread(Loop) { IsBackground = true, Name = name };
        _thread.Start();
    }

    public int Waiting
    {
        get
        {
            lock (_gate)
            {
                return _waiting.Count;
            }
        }
    }

    public int Running => Volatile.Read(ref _running);

    /// <summary>
    /// Queues <paramref name="work"/>; it receives the token and the time it waited. Throws
    /// <see cref="QueueFullException"/> at once when the queue is full.
    /// </summary>
    public Task<T> RunAsync<T>(Func<TimeSpan, CancellationToken, T> work, CancellationToken cancellationToken)
    {
        var item = new WorkItem<T>(work, cancellationToken);
        lock (_gate)
        {
            if (_waiting.Count >= _maxWaiting && _running > 0)
            {
                throw new QueueFullException(_maxWaiting);
            }
            item.Node = _waiting.AddLast(item);
        }
        item.Registration = cancellationToken.Register(() => Cancel(item));
        Notify();
        _signal.Release();
        return item.Completion.Task;
    }

    public void Dispose()
    {
        _shutdown.Cancel();
        _signal.Release();
        _thread.Join(TimeSpan.FromSeconds(5));
        lock (_gate)
        {
            foreach (var item in _waiting)
            {
                item.Abandon();
            }
            _waiting.Clear();
        }
    }

    private void Cancel(WorkItem item)
    {
        bool removed;
        lock (_gate)
        {
            removed = item.Node?.List is not null;
            if (removed)
            {
                _waiting.Remove(item.Node!);
            }
        }
        if (removed)
        {
            item.Abandon();
            Notify();
        }
    }

    private void Loop()
    {
        while (!_shutdown.IsCancellationRequested)
        {
            _signal.Wait();
            WorkItem? item;
            lock (_gate)
            {
                item = _waiting.First?.Value;
                if (item is null)
                {
                    continue;
                }
                _waiting.RemoveFirst();
                _running = 1;
            }
            Notify();
            try
            {
                item.Run();
            }
            finally
            {
                lock (_gate)
                {
                    _running = 0;
                }
                Notify();
            }
        }
    }

    private void Notify()
    {
        if (_observer is null)
        {
            return;
        }
        int running, waiting;
        lock (_gate)
        {
            running = _running;
            waiting = _waiting.Count;
        }
        _observer.OnQueueChanged(running, waiting);
    }

    private abstract class WorkItem
    {
        public LinkedListNode<WorkItem>? Node { get; set; }

        public CancellationTokenRegistration Registration { get; set; }

        public abstract void Run();

        public abstract void Abandon();
    }

    private sealed class WorkItem<T>(Func<TimeSpan, CancellationToken, T> work, CancellationToken cancellationToken) : WorkItem
    {
        private readonly long _queuedAt = Stopwatch.GetTimestamp();

        public TaskCompletionSource<T> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override void Run()
        {
            Registration.Dispose();
            if (cancellationToken.IsCancellationRequested)
            {
                Completion.TrySetCanceled(cancellationToken);
                return;
            }
            try
            {
                Completion.TrySetResult(work(Stopwatch.GetElapsedTime(_queuedAt), cancellationToken));
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                Completion.TrySetCanceled(cancellationToken);
            }
            catch (Exception exception)
            {
                Completion.TrySetException(exception);
            }
        }

        public override void Abandon()
        {
            Registration.Dispose();
            Completion.TrySetCanceled(cancellationToken.IsCancellationRequested ? cancellationToken : new CancellationToken(true));
        }
    }
}
