using System.Diagnostics;
using Omni.Common.Engine;

namespace Omni.DiffusionStage.Engine;

/// <summary>
/// The diffusion stage's request queue and its one engine thread, which batches requests step by step.
/// </summary>
/// <remarks>
/// Between two steps the thread drops cancelled requests, admits waiting ones and preprocesses them, then runs one
/// denoising step of every admitted request as one batch; a request that has run all its steps is decoded and
/// leaves the batch. Batching rule: requests of the same image size (width and height; for video, and frames) share a batch, whatever
/// their steps, scheduler, guidance or conditioning length; the batch holds at most <c>maxBatchSize</c> images
/// (a request counts its num_images; one larger than the limit runs alone). Admission is first come, first
/// served: waiting requests join in arrival order and the first one that does not fit (another size, or too
/// many images) stops admission until the batch has drained enough, so no request is overtaken.
/// A cancelled request leaves at the next step boundary: within one step.
/// </remarks>
public sealed class DiffusionEngineLoop : IDisposable
{
    private const int WarmUpConditioningTokens = 8;
    private const int WarmUpSize = 64;

    private readonly DiffusionEngine _engine;
    private readonly int _maxBatchSize;
    private readonly int _maxWaiting;
    private readonly IDiffusionEngineObserver? _observer;
    private readonly object _gate = new();
    private readonly LinkedList<Submission> _waiting = new();
    private readonly List<Submission> _active = [];
    private readonly SemaphoreSlim _signal = new(0);
    private readonly CancellationTokenSource _shutdown = new();
    private readonly Thread _thread;
    private int _running;
    private bool _started;
    private bool _disposed;
    private volatile bool _warmingUp;

    public DiffusionEngineLoop(DiffusionEngine engine, int maxBatchSize, int maxWaiting, IDiffusionEngineObserver? observer = null)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxWaiting, 0);
        _engine = engine;
        _maxBatchSize = maxBatchSize;
        _maxWaiting = maxWaiting;
        _observer = observer;
        _thread = new Thread(Loop) { IsBackground = true, Name = "diffusion-engine" };
    }

    public int MaxBatchSize => _maxBatchSize;

    /// <summary>Requests admitted to the batch (being preprocessed, denoised or postprocessed).</summary>
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

    /// <summary>Starts the engine thread (requests submitted before wait until then, and may then start together).</summary>
    public void Start()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_started)
            {
                return;
            }

            _started = true;
        }

        _thread.Start();
    }

    /// <summary>
    /// Queues a request. Throws <see cref="ArgumentException"/> at once for a request the model cannot serve and
    /// <see cref="QueueFullException"/> when the queue is full; the task is cancelled when
    /// <paramref name="cancellationToken"/> fires before the request finishes.
    /// </summary>
    /// <remarks>A video's frames go to <paramref name="onFrame"/> as they are decoded, on the engine thread: it must not block.</remarks>
    public Task<DiffusionResult> SubmitAsync(DiffusionRequest request, CancellationToken cancellationToken, Action<VideoFrame>? onFrame = null)
    {
        _engine.Validate(request);
        var submission = new Submission(request, cancellationToken, onFrame);
        // Registered before it is queued (a token cancelled already is seen at admission): the registration
        // then exists before anything can complete the submission and dispose of it.
        submission.Registration = cancellationToken.Register(() => CancelWaiting(submission));
        Exception? refused = null;
        lock (_gate)
        {
            if (_disposed)
            {
                refused = new ObjectDisposedException(nameof(DiffusionEngineLoop));
            }
            else if (_waiting.Count >= _maxWaiting && _running > 0)
            {
                refused = new QueueFullException(_maxWaiting);
            }
            else
            {
                submission.Node = _waiting.AddLast(submission);
                NotifyLocked();
            }
        }

        if (refused is not null)
        {
            // Outside the lock: disposing a registration waits for its callback, which takes the lock.
            submission.Registration.Dispose();
            throw refused;
        }

        _signal.Release();
        return submission.Completion.Task;
    }

    /// <summary>
    /// Runs one small request through the loop's engine thread (preprocessing, two denoising steps with guidance,
    /// decoding, encoding), as the stage does before it serves: otherwise the first client pays for the engine's first
    /// use (code compiled on first call; on a GPU, kernels loaded and library handles created). The observer sees none
    /// of it. Call it after <see cref="Start"/> and before serving.
    /// </summary>
    /// <returns>How long it took.</returns>
    public TimeSpan WarmUp()
    {
        var started = Stopwatch.GetTimestamp();
        // The smallest size the model takes from 64 up (64 itself for the built-in models).
        var size = _engine.SizeMultiple * ((WarmUpSize + _engine.SizeMultiple - 1) / _engine.SizeMultiple);
        var request = new DiffusionRequest(new float[WarmUpConditioningTokens * _engine.ConditioningWidth], WarmUpConditioningTokens, _engine.ConditioningWidth)
        {
            Width = size,
            Height = size,
            Steps = 2,
            GuidanceScale = 2f,
            Frames = _engine.IsVideo ? _engine.TemporalPatchSize : 0,
        };
        _warmingUp = true;
        try
        {
            SubmitAsync(request, CancellationToken.None).GetAwaiter().GetResult();
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
        if (_thread.IsAlive)
        {
            _thread.Join();
        }

        List<Submission> abandoned;
        lock (_gate)
        {
            abandoned = [.. _waiting];
            _waiting.Clear();
            _running = 0;
            NotifyLocked();
        }

        foreach (var submission in abandoned)
        {
            submission.Cancel();
        }
    }

    private void CancelWaiting(Submission submission)
    {
        lock (_gate)
        {
            if (submission.Node?.List is null)
            {
                return; // Admitted (the engine thread drops it at the next step) or already finished.
            }

            _waiting.Remove(submission.Node);
            NotifyLocked();
        }

        submission.Cancel();
    }

    private void Loop()
    {
        try
        {
            while (!_shutdown.IsCancellationRequested)
            {
                DropCancelled();
                PrepareAdmitted(Admit());
                if (_active.Count == 0)
                {
                    if (Waiting == 0)
                    {
                        _signal.Wait(_shutdown.Token);
                    }

                    continue;
                }

                RunStep();
            }
        }
        catch (OperationCanceledException) when (_shutdown.IsCancellationRequested)
        {
            // Shutting down.
        }
        finally
        {
            foreach (var submission in _active)
            {
                submission.Cancel();
            }

            _active.Clear();
        }
    }

    /// <summary>Moves waiting requests that fit into the batch, first come first served.</summary>
    private List<Submission> Admit()
    {
        var admitted = new List<Submission>();
        lock (_gate)
        {
            var images = _active.Sum(submission => submission.Request.NumImages);
            var size = _active.Count > 0 ? SizeOf(_active[0].Request) : ((int, int, int)?)null;
            while (_waiting.First is { } node)
            {
                var request = node.Value.Request;
                if (size is not null && (SizeOf(request) != size || images + request.NumImages > _maxBatchSize))
                {
                    break;
                }

                _waiting.RemoveFirst();
                admitted.Add(node.Value);
                size ??= SizeOf(request);
                images += request.NumImages;
            }

            if (admitted.Count > 0)
            {
                _running = _active.Count + admitted.Count;
                NotifyLocked();
            }
        }

        return admitted;
    }

    private void PrepareAdmitted(List<Submission> admitted)
    {
        foreach (var submission in admitted)
        {
            if (submission.Token.IsCancellationRequested)
            {
                submission.Cancel();
                continue;
            }

            try
            {
                submission.Job = _engine.Prepare(submission.Request);
                _active.Add(submission);
            }
            catch (Exception exception)
            {
                submission.Fail(exception);
            }
        }

        UpdateRunning();
    }

    private void DropCancelled()
    {
        if (_active.RemoveAll(Cancelled) > 0)
        {
            UpdateRunning();
        }

        static bool Cancelled(Submission submission)
        {
            if (!submission.Token.IsCancellationRequested)
            {
                return false;
            }

            submission.Cancel();
            return true;
        }
    }

    private void RunStep()
    {
        var jobs = _active.Select(submission => submission.Job!).ToList();
        var steps = jobs.Select(job => job.StepIndex).ToArray();
        TimeSpan duration;
        try
        {
            duration = _engine.Step(jobs);
        }
        catch (Exception exception)
        {
            foreach (var submission in _active)
            {
                submission.Fail(exception);
            }

            _active.Clear();
            UpdateRunning();
            return;
        }

        for (var i = 0; i < jobs.Count; i++)
        {
            Observer?.OnStep(steps[i], duration);
        }

        var denoised = _active.Where(submission => submission.Job!.IsDenoised).ToList();
        if (denoised.Count == 0)
        {
            return;
        }

        foreach (var submission in denoised)
        {
            _active.Remove(submission);
            if (submission.Token.IsCancellationRequested)
            {
                submission.Cancel();
                continue;
            }

            try
            {
                var result = _engine.Finish(submission.Job!, submission.OnFrame, submission.Token);
                if (Observer is { } observer && submission.Context is { } context)
                {
                    // In the submitter's context, so that what the observer records belongs to the request (its trace).
                    ExecutionContext.Run(context, _ => observer.OnCompleted(result), null);
                }
                else
                {
                    Observer?.OnCompleted(result);
                }
                submission.Complete(result);
            }
            catch (OperationCanceledException) when (submission.Token.IsCancellationRequested)
            {
                submission.Cancel();
            }
            catch (Exception exception)
            {
                submission.Fail(exception);
            }
        }

        UpdateRunning();
    }

    private void UpdateRunning()
    {
        lock (_gate)
        {
            _running = _active.Count;
            NotifyLocked();
        }
    }

    private void NotifyLocked() => Observer?.OnQueueChanged(_running, _waiting.Count);

    // The observer, except during the warm-up, which is nobody's traffic.
    private IDiffusionEngineObserver? Observer => _warmingUp ? null : _observer;

    private static (int Width, int Height, int Frames) SizeOf(DiffusionRequest request) => (request.Width, request.Height, request.Frames);

    private sealed class Submission(DiffusionRequest request, CancellationToken token, Action<VideoFrame>? onFrame)
    {
        public DiffusionRequest Request { get; } = request;

        public CancellationToken Token { get; } = token;

        public Action<VideoFrame>? OnFrame { get; } = onFrame;

        /// <summary>The submitter's execution context (ambient state such as its trace), captured at submission.</summary>
        public ExecutionContext? Context { get; } = ExecutionContext.Capture();

        public LinkedListNode<Submission>? Node { get; set; }

        public CancellationTokenRegistration Registration { get; set; }

        /// <summary>Set once admitted; disposed when the request leaves the batch.</summary>
        public DiffusionJob? Job { get; set; }

        public TaskCompletionSource<DiffusionResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Complete(DiffusionResult result)
        {
            Release();
            Completion.TrySetResult(result);
        }

        public void Fail(Exception exception)
        {
            Release();
            Completion.TrySetException(exception);
        }

        public void Cancel()
        {
            Release();
            Completion.TrySetCanceled(Token.IsCancellationRequested ? Token : new CancellationToken(true));
        }

        private void Release()
        {
            Registration.Dispose();
            Job?.Dispose();
            Job = null;
        }
    }
}
