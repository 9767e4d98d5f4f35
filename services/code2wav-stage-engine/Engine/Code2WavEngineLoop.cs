using System.Diagnostics;
using Omni.Code2Wav.Model;
using Omni.Common.Engine;
using static TorchSharp.torch;

namespace Omni.Code2Wav.Engine;

/// <summary>
/// The vocoder's queue and its one engine thread. Chunks wait in arrival order; each pass takes the oldest waiting
/// chunk and every other waiting chunk whose input has its length (context plus frames), up to the batch size, and
/// decodes them in one forward pass. A chunk cancelled before its pass leaves without being decoded. Chunks of one
/// stream are independent jobs (each carries the codes it needs), so they may share a pass.
/// </summary>
public sealed class Code2WavEngineLoop : IDisposable
{
    private const int WarmUpFrames = 8;

    private readonly Code2WavModel _model;
    private readonly Device _device;
    private readonly int _maxBatchSize;
    private readonly int _maxWaiting;
    private readonly ICode2WavObserver? _observer;
    private readonly object _gate = new();
    private readonly LinkedList<Pending> _waiting = new();
    private readonly SemaphoreSlim _signal = new(0);
    private readonly CancellationTokenSource _shutdown = new();
    private readonly Thread _thread;
    private int _running;
    private bool _disposed;
    private volatile bool _warmingUp;

    public Code2WavEngineLoop(Code2WavModel model, Device device, int maxBatchSize, int maxWaiting, ICode2WavObserver? observer = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxWaiting, 1);
        _model = model;
        _device = device;
        _maxBatchSize = maxBatchSize;
        _maxWaiting = maxWaiting;
        _observer = observer;
        _thread = new Thread(Loop) { IsBackground = true, Name = "code2wav-engine" };
    }

    /// <summary>Starts the engine thread (chunks submitted before wait until then, and may then share a pass).</summary>
    public void Start()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_thread.ThreadState.HasFlag(System.Threading.ThreadState.Unstarted))
            {
                _thread.Start();
            }
        }
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

    public int Running
    {
        get
        {
            lock (_gate)
            {
                return _running;
            }
        }
    }

    /// <summary>
    /// Queues a chunk; its samples when decoded. Throws <see cref="QueueFullException"/> when the queue is full; the
    /// task is cancelled when <paramref name="cancellationToken"/> fires before the chunk's pass.
    /// </summary>
    /// <param name="admitted">
    /// The chunk's stream already had a chunk accepted: it is queued even past the bound, so that a full queue refuses a
    /// stream before any of its audio, never midway. The caller bounds such chunks per stream.
    /// </param>
    public Task<float[]> SubmitAsync(DecodeJob job, CancellationToken cancellationToken, bool admitted = false)
    {
        ArgumentNullException.ThrowIfNull(job);
        if (job.Frames <= 0)
        {
            return Task.FromResult(Array.Empty<float>());
        }
        var pending = new Pending(job);
        // Registered before the chunk is queued, so that whatever completes it disposes this registration; a token
        // cancelled already runs the callback here, before the chunk is queued, and the chunk is then not queued.
        pending.Registration = cancellationToken.Register(() => Cancel(pending, cancellationToken));
        Exception? refused = null;
        lock (_gate)
        {
            if (_disposed)
            {
                refused = new ObjectDisposedException(nameof(Code2WavEngineLoop));
            }
            else if (_waiting.Count >= _maxWaiting && !admitted)
            {
                refused = new QueueFullException(_maxWaiting);
            }
            else if (!cancellationToken.IsCancellationRequested)
            {
                pending.Node = _waiting.AddLast(pending);
                Observer?.OnQueueChanged(_running, _waiting.Count);
            }
        }
        if (refused is not null || pending.Node is null)
        {
            // Outside the lock: disposing a registration waits for its callback, which takes the lock.
            pending.Registration.Dispose();
            return refused is null ? Task.FromCanceled<float[]>(cancellationToken) : throw refused;
        }
        _signal.Release();
        return pending.Completion.Task;
    }

    /// <summary>
    /// Decodes one chunk of code 0 (with its left context) on the loop's engine thread, as the stage does before it
    /// serves: otherwise the first speech request's first audio pays for the engine's first use (code compiled on
    /// first call; on a GPU, kernels loaded). The observer sees none of it. Call it after <see cref="Start"/> and
    /// before serving.
    /// </summary>
    /// <returns>How long it took.</returns>
    public TimeSpan WarmUp()
    {
        var started = Stopwatch.GetTimestamp();
        var context = _model.Config.ContextFrames;
        _warmingUp = true;
        try
        {
            SubmitAsync(new DecodeJob(new long[context + WarmUpFrames], context), CancellationToken.None).GetAwaiter().GetResult();
        }
        finally
        {
            _warmingUp = false;
        }

        return Stopwatch.GetElapsedTime(started);
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
        }
        _shutdown.Cancel();
        if (!_thread.ThreadState.HasFlag(System.Threading.ThreadState.Unstarted))
        {
            _thread.Join();
        }
        List<Pending> abandoned;
        lock (_gate)
        {
            abandoned = [.. _waiting];
            _waiting.Clear();
        }
        // Outside the lock: disposing a registration waits for its running callback, which takes the lock.
        foreach (var pending in abandoned)
        {
            pending.Fail(new ObjectDisposedException(nameof(Code2WavEngineLoop)));
        }
        _signal.Dispose();
        _shutdown.Dispose();
    }

    // The observer, except during the warm-up, which is nobody's traffic.
    private ICode2WavObserver? Observer => _warmingUp ? null : _observer;

    private void Cancel(Pending pending, CancellationToken token)
    {
        lock (_gate)
        {
            if (pending.Node?.List is null)
            {
                return; // not queued (cancelled before), or already taken into a pass
            }
            _waiting.Remove(pending.Node);
            Observer?.OnQueueChanged(_running, _waiting.Count);
        }
        pending.Completion.TrySetCanceled(token);
    }

    private void Loop()
    {
        while (true)
        {
            try
            {
                _signal.Wait(_shutdown.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            var batch = Take();
            if (batch.Count == 0)
            {
                continue;
            }
            var start = Stopwatch.GetTimestamp();
            try
            {
                var samples = Code2WavDecoding.RunBatch(_model, _device, [.. batch.Select(pending => pending.Job)]);
                var elapsed = Stopwatch.GetElapsedTime(start);
                for (var i = 0; i < batch.Count; i++)
                {
                    Observer?.OnChunk(batch[i].Job.Frames, elapsed);
                    batch[i].Complete(samples[i]);
                }
            }
            catch (Exception error)
            {
                foreach (var pending in batch)
                {
                    pending.Fail(error);
                }
            }
            lock (_gate)
            {
                _running = 0;
                Observer?.OnQueueChanged(_running, _waiting.Count);
            }
        }
    }

    /// <summary>The oldest waiting chunk and the other waiting chunks of its input length, up to the batch size.</summary>
    private List<Pending> Take()
    {
        lock (_gate)
        {
            var batch = new List<Pending>();
            var length = _waiting.First?.Value.Job.Input.Length;
            for (var node = _waiting.First; node is not null && batch.Count < _maxBatchSize;)
            {
                var next = node.Next;
                if (node.Value.Job.Input.Length == length)
                {
                    _waiting.Remove(node);
                    batch.Add(node.Value);
                }
                node = next;
            }
            // Each Take consumed one signal; the others it took need not wake the thread again.
            for (var i = 1; i < batch.Count && _signal.CurrentCount > 0; i++)
            {
                _signal.Wait(0);
            }
            _running = batch.Count;
            Observer?.OnQueueChanged(_running, _waiting.Count);
            return batch;
        }
    }

    private sealed class Pending(DecodeJob job)
    {
        public DecodeJob Job { get; } = job;

        public LinkedListNode<Pending>? Node { get; set; }

        public CancellationTokenRegistration Registration { get; set; }

        public TaskCompletionSource<float[]> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Complete(float[] samples)
        {
            Registration.Dispose();
            Completion.TrySetResult(samples);
        }

        public void Fail(Exception error)
        {
            Registration.Dispose();
            Completion.TrySetException(error);
        }
    }
}
