using System.Collections.Concurrent;
using System.Diagnostics;
using Omni.ArStage.Model;
using Omni.ArStage.Tokenization;
using Omni.Common.Devices;
using Omni.Common.Engine;
using Omni.Common.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace Omni.ArStage.Engine;

/// <summary>
/// The autoregressive stage as a serving engine: a Llama/Qwen2 decoder with a paged KV cache, driven by one engine
/// loop on a dedicated thread that owns the model. Requests wait in a queue; every step the <see cref="Scheduler"/>
/// forms a batch of running sequences (one decode token each, or a prefill chunk) and newly admitted ones, the
/// batch runs as one forward pass, and each sampled token is handed to its request as soon as the step ends.
/// </summary>
public sealed class ArEngine : IDisposable
{
    public const string DefaultModelName = "omni-ar-default";

    private readonly CausalLanguageModel _model;
    private readonly KvBlockPool _pool;
    private readonly Scheduler _scheduler;
    private readonly ModelRunner _runner;
    private readonly ObserverSwitch _observer;
    private readonly ArEngineOptions _options;
    private readonly HashSet<int> _eosTokenIds;
    private readonly ConcurrentQueue<Sequence> _incoming = new();
    private readonly SemaphoreSlim _wake = new(0);
    private readonly CancellationTokenSource _shutdown = new();
    private readonly Lock _stateGate = new();
    private readonly Thread _thread;
    private readonly string _cudaGraphs;
    private SchedulerState _state;
    private SchedulerState _published = new(-1, -1, -1);
    private long _publishedAt;
    private int _queued;
    private int _admitted;
    private int _disposed;
    private long _scheduleTicks;

    private ArEngine(CausalLanguageModel model, KvBlockPool pool, Device device, string deviceName, string modelName, ITextTokenizer tokenizer,
        ArEngineOptions options, IArEngineObserver observer, StepGraphs stepGraphs)
    {
        _model = model;
        _pool = pool;
        _options = options;
        _observer = new ObserverSwitch(observer);
        DeviceName = deviceName;
        ModelName = modelName;
        Tokenizer = tokenizer;
        _eosTokenIds = [.. model.Config.EosTokenIds, .. tokenizer.EosTokenIds];
        // With decode graphs the pool's last block is theirs: their padding rows write there.
        var usableBlocks = stepGraphs.Capture is null ? pool.NumBlocks : pool.NumBlocks - 1;
        var blocks = new BlockManager(usableBlocks, pool.BlockSize, options.EnablePrefixCaching);
        _scheduler = new Scheduler(blocks, options.MaxNumSeqs, options.MaxNumBatchedTokens);
        BatchInvariant = BatchInvariantOn(options, device);
        _cudaGraphs = stepGraphs.Description;
        _runner = new ModelRunner(model, pool, device, BatchInvariant,
            stepGraphs.Capture is { } capture ? new DecodeGraphs(model, pool, device, capture, options.MaxNumSeqs, scratchBlock: usableBlocks) : null);
        CacheConfig = new KvCacheConfig(pool.BlockSize, usableBlocks, ModelDType.Name(pool.DType), options.EnablePrefixCaching,
            options.MaxNumSeqs, options.MaxNumBatchedTokens, KvBlockPool.BytesPerBlock(model.Config, pool.BlockSize, pool.DType));
        _observer.OnCacheConfig(CacheConfig);
        _thread = new Thread(Loop) { IsBackground = true, Name = "ar-engine" };
        _thread.Start();
    }

    public string ModelName { get; }

    public int HiddenSize => _model.Config.HiddenSize;

    /// <summary>The width of prompt embeddings (<see cref="GenerationRequest.PromptEmbeddings"/>): the hidden size, or a talker's input width.</summary>
    public int PromptEmbeddingWidth => _model.Config.PromptEmbeddingWidth;

    public int VocabSize => _model.Config.VocabSize;

    /// <summary>
    /// Whether the model takes another model's hidden states as its prompt (a talker: the checkpoint has
    /// <c>prompt_embedding_size</c>), rather than text.
    /// </summary>
    public bool TakesPromptEmbeddings => _model.Config.PromptEmbeddingSize is not null;

    /// <summary>A talker's codec frames per second of audio (config <c>codec_frame_rate</c>); null for text models.</summary>
    public double? CodecFrameRate => _model.Config.CodecFrameRate;

    /// <summary>Tokens that end a sequence (the model's and the tokenizer's); they are no text, nor a talker's codes.</summary>
    public IReadOnlySet<int> EosTokenIds => _eosTokenIds;

    public int MaxPositionEmbeddings => _model.Config.MaxPositionEmbeddings;

    public string DeviceName { get; }

    public ITextTokenizer Tokenizer { get; }

    /// <summary>The checkpoint's chat template (its tokenizer_config.json), or null when it has none.</summary>
    public ChatTemplateConfig? ChatTemplate { get; private set; }

    public KvCacheConfig CacheConfig { get; }

    /// <summary>Running and waiting requests and KV cache usage after the engine's last step.</summary>
    public SchedulerState State
    {
        get
        {
            lock (_stateGate)
            {
                return _state with { Waiting = _state.Waiting + Volatile.Read(ref _queued) };
            }
        }
    }

    internal CausalLanguageModel Model => _model;

    /// <summary>Whether the engine computes every row the same way whatever the batch (<see cref="ArEngineOptions.BatchInvariant"/> on a CPU).</summary>
    public bool BatchInvariant { get; }

    /// <summary>
    /// "on", "off", or "off (why)": whether decode steps run as CUDA graphs (<see cref="ArEngineOptions.CudaGraphs"/>),
    /// "off (why)" too once recording one failed and the steps went back to running eagerly.
    /// </summary>
    public string CudaGraphs => _runner.GraphFailure is { } failure ? $"off (recording failed: {failure})" : _cudaGraphs;

    /// <summary>Decode step shapes recorded as graphs, and steps served by replaying one (0 without graphs).</summary>
    internal (int Graphs, long Replays) DecodeGraphCounts => _runner.GraphCounts;

    /// <summary>Tensors alive on the engine thread after its last step (a leak shows as growth).</summary>
    internal long EngineThreadLiveTensors { get; private set; }

    /// <summary>Device-to-host copies the engine thread has made (<see cref="HostCopies"/>), as of its last step.</summary>
    internal long EngineThreadHostCopies { get; private set; }

    /// <summary>Host-to-device uploads the engine thread has made (<see cref="DeviceUploads"/>), as of its last step.</summary>
    internal long EngineThreadUploads { get; private set; }

    /// <summary>
    /// Tensors the engine thread has created, as of its last step: about one per operator call (views included), so
    /// per step a measure of the kernel launches a GPU pays for.
    /// </summary>
    internal long EngineThreadTensorsCreated { get; private set; }

    /// <summary>Steps the engine thread has run that computed something.</summary>
    internal long EngineSteps { get; private set; }

    /// <summary>Where the engine thread's time went over those steps, as of its last step.</summary>
    internal StepPhases EngineStepPhases { get; private set; } = StepPhases.Zero;

    /// <summary>
    /// Loads the checkpoint (or the built-in model) with its <c>tokenizer.json</c> when it has one, else no text at all
    /// for a talker (<see cref="CodeTokenizer"/>: a checkpoint with <c>prompt_embedding_size</c>), else GPT-2's
    /// vocabulary, and starts the engine loop.
    /// </summary>
    public static ArEngine Load(ArEngineOptions options, IArEngineObserver? observer = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.ModelDirectory is null && options.BuiltInModel == BuiltInArModel.Talker)
        {
            options = options with
            {
                ModelDirectory = DefaultTalkerModel.EnsureCreated(options.CacheDirectory),
                ModelName = string.IsNullOrWhiteSpace(options.ModelName) ? DefaultTalkerModel.Name : options.ModelName,
            };
        }
        var tokenizerPath = options.ModelDirectory is null ? null : Path.Combine(options.ModelDirectory, HuggingFaceTokenizer.FileName);
        var talker = options.ModelDirectory is null ? null : TalkerConfig(options.ModelDirectory);
        ITextTokenizer tokenizer = tokenizerPath is not null && File.Exists(tokenizerPath) ? HuggingFaceTokenizer.Load(tokenizerPath)
            : talker is not null ? new CodeTokenizer(talker.VocabSize, talker.EosTokenIds)
            : Gpt2TextTokenizer.Instance;
        var chatTemplate = ChatTemplateConfig.Load(options.ModelDirectory);
        var engine = Load(options, tokenizer, observer);
        engine.ChatTemplate = chatTemplate;
        return engine;
    }

    /// <summary>The config of a checkpoint whose prompt is embeddings of another width (a talker), else null.</summary>
    private static TransformerConfig? TalkerConfig(string directory)
    {
        var path = Path.Combine(directory, CheckpointLoader.ConfigFileName);
        return File.Exists(path) && TransformerConfig.Load(path) is { PromptEmbeddingSize: not null } config ? config : null;
    }

    /// <param name="stepGraphs">Records a decode step for replay in place of CUDA graphs (tests on a CPU); null: CUDA
    /// graphs where <see cref="ArEngineOptions.CudaGraphs"/> asks for them and the device has them.</param>
    internal static ArEngine Load(ArEngineOptions options, ITextTokenizer tokenizer, IArEngineObserver? observer = null,
        Func<Action, IStepGraph>? stepGraphs = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ValidateOptions(options);
        var spec = DeviceSpec.Resolve(options.Device, cuda.is_available() ? cuda.device_count() : 0);
        var device = spec.CudaIndex is { } index ? new Device(DeviceType.CUDA, index) : CPU;
        var deviceName = spec.Name;
        var dtype = ModelDType.Parse(options.DType);
        if (options.TorchThreads > 0)
        {
            set_num_threads(options.TorchThreads);
        }

        var directory = options.ModelDirectory ?? DefaultModel.EnsureCreated(options.CacheDirectory);
        var model = CheckpointLoader.Load(directory, device, dtype);
        KvBlockPool? pool = null;
        try
        {
            if (!BatchInvariantOn(options, device))
            {
                model.FuseProjections();
            }

            if (model.Config.VocabSize < tokenizer.VocabularySize)
            {
                throw new NotSupportedException(
                    $"The model's vocabulary ({model.Config.VocabSize}) is smaller than the tokenizer's ({tokenizer.VocabularySize}).");
            }

            var graphs = StepGraphs.For(options, device, BatchInvariantOn(options, device), stepGraphs);
            pool = new KvBlockPool(model.Config, PoolBlocks(options, model.Config, dtype, device) + (graphs.Capture is null ? 0 : 1), options.BlockSize,
                dtype, device, keysBesideValues: !BatchInvariantOn(options, device));
            return new ArEngine(model, pool, device, deviceName, options.ResolveModelName(), tokenizer, options,
                observer ?? NullArEngineObserver.Instance, graphs);
        }
        catch
        {
            pool?.Dispose();
            model.Dispose();
            throw;
        }
    }

    // Batch invariance is a CPU promise (BatchInvariantOps); on CUDA the plain operators run, the attention tiles go in
    // one group per step and the projections are fused, whatever the option says.
    private static bool BatchInvariantOn(ArEngineOptions options, Device device) => options.BatchInvariant && device.type == DeviceType.CPU;

    /// <summary>The token ids the engine feeds the model for <paramref name="prompt"/> (BOS alone for an empty prompt).</summary>
    public int[] Tokenize(string prompt) => EncodePrompt(prompt);

    /// <summary>Number of prompt tokens the engine would feed the model for <paramref name="prompt"/>.</summary>
    public int CountTokens(string prompt) => EncodePrompt(prompt).Length;

    /// <summary>
    /// Queues the request. The prompt runs through the model and, when <see cref="GenerationRequest.GenerateText"/>,
    /// up to <see cref="GenerationRequest.MaxTokens"/> tokens are generated; <paramref name="onToken"/> is called on
    /// the engine thread for each one (stop and end-of-sequence tokens included, with no text) when its step ends.
    /// Cancelling <paramref name="cancellationToken"/> drops the request within one step (the task is cancelled).
    /// </summary>
    /// <exception cref="ArgumentException">The request is invalid or does not fit the model's context or the KV pool.</exception>
    /// <exception cref="QueueFullException">Too many requests are waiting.</exception>
    public Task<GenerationResult> GenerateAsync(GenerationRequest request, Action<GeneratedToken>? onToken, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        Validate(request);
        var promptIds = request.PromptEmbeddings is { } embeddings ? CheckEmbeddings(embeddings)
            : request.PromptTokenIds is { } ids ? CheckTokenIds(ids) : EncodePrompt(request.Prompt);
        CheckFits(request, promptIds.Length);
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<GenerationResult>(cancellationToken);
        }

        var stopTokens = new HashSet<int>(request.StopTokenIds);
        if (!request.IgnoreEos)
        {
            stopTokens.UnionWith(_eosTokenIds);
        }

        var text = new TextStream(Tokenizer, request.StopStrings, stopTokens, request.IgnoreEos ? _eosTokenIds : null);
        var sequence = new Sequence(request, promptIds, text, HiddenSize, onToken, cancellationToken);
        Admit();
        sequence.OnEnded = () => Interlocked.Decrement(ref _admitted);
        Interlocked.Increment(ref _queued);
        _incoming.Enqueue(sequence);
        sequence.Registration = cancellationToken.Register(Wake);
        Wake();
        return sequence.Completion.Task;
    }

    /// <summary>
    /// Takes an admission slot or refuses the request: at most MaxNumSeqs + MaxWaiting requests are in the engine at
    /// once, counted atomically here and on completion, so a burst is bounded whatever the engine thread is doing
    /// (its own running and waiting counts lag by a step). When the KV cache, not MaxNumSeqs, limits what runs, more
    /// than MaxWaiting may wait, never more than that sum in all.
    /// </summary>
    private void Admit()
    {
        var capacity = _options.MaxNumSeqs + _options.MaxWaiting;
        while (true)
        {
            var admitted = Volatile.Read(ref _admitted);
            if (admitted >= capacity)
            {
                throw new QueueFullException(_options.MaxWaiting);
            }
            if (Interlocked.CompareExchange(ref _admitted, admitted + 1, admitted) == admitted)
            {
                return;
            }
        }
    }

    /// <summary>
    /// Runs two short requests through the engine together, as the AR stage does before it serves: otherwise the first
    /// requests pay for compiling the engine's code on first use (the default model on a CPU: the first request's first
    /// token 130-141 ms after it arrived, 15 ms for the next ones) and, on a GPU, for loading kernels and initialising
    /// libtorch's libraries. Between them they take a request's paths: greedy with logprobs and hidden states, and
    /// sampling with every filter and penalty, seeded. The observer sees none of it (it is nobody's traffic), and each
    /// prompt with its output fits in one KV block, so nothing of it enters the prefix cache.
    /// </summary>
    /// <returns>How long it took.</returns>
    public TimeSpan WarmUp()
    {
        var started = Stopwatch.GetTimestamp();
        var promptLength = Math.Max(1, (_pool.BlockSize - 1) / 2);
        var maxTokens = Math.Max(1, _pool.BlockSize - 1 - promptLength);
        GenerationRequest Prompt() => TakesPromptEmbeddings
            ? new GenerationRequest("") { PromptEmbeddings = new PromptEmbeddings(new float[promptLength * PromptEmbeddingWidth], promptLength, PromptEmbeddingWidth) }
            : new GenerationRequest("") { PromptTokenIds = [.. Enumerable.Range(1, promptLength).Select(id => id % VocabSize)] };
        GenerationRequest[] requests =
        [
            Prompt() with { Temperature = 0, MaxTokens = maxTokens, IgnoreEos = true, Logprobs = 1, ReturnHiddenStates = true },
            Prompt() with
            {
                Temperature = 0.8f, TopP = 0.9f, TopK = 20, MinP = 0.05f, RepetitionPenalty = 1.1f, PresencePenalty = 0.1f, FrequencyPenalty = 0.1f,
                Seed = 0, MaxTokens = maxTokens, IgnoreEos = true,
            },
        ];
        _observer.Off = true;
        try
        {
            if (_options.MaxNumSeqs + _options.MaxWaiting >= requests.Length)
            {
                Task.WhenAll(requests.Select(request => GenerateAsync(request, null, CancellationToken.None))).GetAwaiter().GetResult();
            }
            else
            {
                foreach (var request in requests)
                {
                    Generate(request, null, CancellationToken.None);
                }
            }
        }
        finally
        {
            _observer.Off = false;
        }

        return Stopwatch.GetElapsedTime(started);
    }

    /// <summary>Blocking form of <see cref="GenerateAsync"/>.</summary>
    public GenerationResult Generate(GenerationRequest request, Action<GeneratedToken>? onToken, CancellationToken cancellationToken) =>
        GenerateAsync(request, onToken, cancellationToken).GetAwaiter().GetResult();

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _shutdown.Cancel();
        Wake();
        _thread.Join();
        Drain();
        foreach (var sequence in _scheduler.RemoveAll())
        {
            sequence.Registration.Dispose();
            sequence.Fail(new ObjectDisposedException(nameof(ArEngine), "The engine was shut down."));
        }

        _runner.Dispose();
        _pool.Dispose();
        _model.Dispose();
        _shutdown.Dispose();
        _wake.Dispose();
    }

    private void Wake()
    {
        try
        {
            _wake.Release();
        }
        catch (ObjectDisposedException)
        {
            // A cancellation after shutdown: nothing left to wake.
        }
    }

    private void Loop()
    {
        // libtorch's intra-op thread count is kept per thread under OpenMP: set it where the model runs too.
        if (_options.TorchThreads > 0)
        {
            set_num_threads(_options.TorchThreads);
        }

        while (!_shutdown.IsCancellationRequested)
        {
            try
            {
                RunOnce();
            }
            catch (Exception exception)
            {
                // A defect outside the forward pass (which fails only its batch) must not strand every caller on a
                // dead thread: fail what is in the engine and keep serving.
                foreach (var sequence in _scheduler.RemoveAll())
                {
                    Report(sequence, FinishReason.Abort, Stopwatch.GetTimestamp());
                    sequence.Registration.Dispose();
                    sequence.Fail(exception);
                }
            }
        }
    }

    private void RunOnce()
    {
        Drain();
        foreach (var sequence in _scheduler.RemoveCancelled())
        {
            Abort(sequence);
        }

        if (_scheduler.IsIdle)
        {
            Publish(idle: true);
            _wake.Wait();
            return;
        }

        var scheduling = Stopwatch.GetTimestamp();
        var plan = _scheduler.Schedule();
        _scheduleTicks += Stopwatch.GetTimestamp() - scheduling;
        // Admission reads this state: it must count the sequences this step admitted while the step runs, or a burst
        // arriving during the first step after idle would pass the waiting-queue bound unchecked.
        RecordState();
        if (plan.Batch.Count > 0)
        {
            Step(plan);
        }
        else
        {
            // Nothing fits this step (every block held, nothing to preempt): do not spin while it drains.
            _wake.Wait(TimeSpan.FromMilliseconds(10));
        }

        Publish(idle: false);
    }

    private void Drain()
    {
        while (_incoming.TryDequeue(out var sequence))
        {
            Interlocked.Decrement(ref _queued);
            _scheduler.Add(sequence);
        }
    }

    private void Step(SchedulerOutput plan)
    {
        var started = Stopwatch.GetTimestamp();
        foreach (var (sequence, _) in plan.Batch)
        {
            sequence.FirstScheduled ??= started;
        }

        var (prepareBefore, waitBefore) = (_runner.PrepareTicks, HostCopies.ThreadTicks);
        StepOutput output;
        try
        {
            output = _runner.Execute(plan.Batch);
        }
        catch (Exception exception)
        {
            // A failed forward pass fails the requests in it; the engine keeps serving the others.
            foreach (var (sequence, _) in plan.Batch)
            {
                _scheduler.Finish(sequence);
                Report(sequence, FinishReason.Abort, Stopwatch.GetTimestamp());
                sequence.Registration.Dispose();
                sequence.Fail(exception);
            }

            return;
        }

        var now = Stopwatch.GetTimestamp();
        var (prepare, wait) = (_runner.PrepareTicks - prepareBefore, HostCopies.ThreadTicks - waitBefore);
        int promptTokens = 0, generated = 0, scheduledTokens = 0;
        var finished = new List<(Sequence Sequence, FinishReason Reason)>();
        for (var i = 0; i < plan.Batch.Count; i++)
        {
            var (sequence, count) = plan.Batch[i];
            scheduledTokens += count;
            if (output.HiddenRows[i] is { } rows)
            {
                sequence.AddHiddenRows(output.HiddenFirstPosition[i], rows);
            }

            sequence.Computed += count;
            _scheduler.Commit(sequence);
            if (!sequence.PrefillCounted && sequence.Computed >= sequence.PromptLength)
            {
                sequence.PrefillCounted = true;
                sequence.PrefillDone = now;
                promptTokens += sequence.PromptLength;
            }

            if (sequence.Remaining > 0)
            {
                continue;
            }

            if (sequence.PendingFinish is { } pending)
            {
                finished.Add((sequence, pending));
            }
            else if (output.SampledTokens[i] >= 0)
            {
                generated++;
                if (Accept(sequence, output.SampledTokens[i], output.Logprobs[i], now) is { } reason)
                {
                    finished.Add((sequence, reason));
                }
            }
            else if (sequence.MaxNewTokens == 0)
            {
                finished.Add((sequence, sequence.Request.GenerateText ? FinishReason.Length : FinishReason.Stop));
            }
        }

        // The step's counts are reported before its requests finish, so whoever sees a request finished sees its tokens counted.
        _observer.OnStep(new EngineStepStats(scheduledTokens, plan.Batch.Count, promptTokens, generated, plan.Preemptions,
            plan.PrefixCacheQueries, plan.PrefixCacheHits));
        foreach (var (sequence, reason) in finished)
        {
            Complete(sequence, reason, now);
        }

        EngineThreadLiveTensors = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        EngineThreadHostCopies = HostCopies.ThreadCount;
        EngineThreadUploads = DeviceUploads.ThreadCount;
        EngineThreadTensorsCreated = DisposeScopeManager.Statistics.TensorStatistics.CreatedInScopeCount
            + DisposeScopeManager.Statistics.TensorStatistics.CreatedOutsideScopeCount;
        EngineSteps++;
        var phases = EngineStepPhases;
        EngineStepPhases = new StepPhases(_scheduleTicks, phases.Prepare + prepare, phases.Issue + (now - started) - prepare - wait,
            phases.Wait + wait, phases.Finish + Stopwatch.GetTimestamp() - now);
    }

    // Appends a sampled token and streams it; returns why the sequence ends now (null: it goes on, or it needs one
    // more step for the last token's hidden state, or the callback failed and the request was failed with it).
    private FinishReason? Accept(Sequence sequence, int tokenId, TokenLogprob? logprob, long now)
    {
        sequence.Tokens.Add(tokenId);
        if (sequence.FirstToken is null)
        {
            sequence.FirstToken = now;
            _observer.OnFirstToken(Stopwatch.GetElapsedTime(sequence.Arrival, now));
        }
        else
        {
            _observer.OnInterTokenLatency(Stopwatch.GetElapsedTime(sequence.LastToken!.Value, now));
        }

        sequence.LastToken = now;
        var (delta, finish) = sequence.Text.Accept(tokenId, isLastAllowed: sequence.OutputTokens == sequence.MaxNewTokens);
        try
        {
            sequence.OnToken?.Invoke(new GeneratedToken(tokenId, delta, logprob));
        }
        catch (Exception exception)
        {
            _scheduler.Finish(sequence);
            Report(sequence, FinishReason.Abort, now);
            sequence.Registration.Dispose();
            sequence.Fail(exception);
            return null;
        }

        if (finish is { } reason && sequence.WantsHiddenStates)
        {
            // One more step gives the last sampled token its hidden state.
            sequence.PendingFinish = reason;
            return null;
        }

        return finish;
    }

    private void Complete(Sequence sequence, FinishReason reason, long now)
    {
        _scheduler.Finish(sequence);
        var stats = Report(sequence, reason, now);
        sequence.Registration.Dispose();
        sequence.Succeed(new GenerationResult(reason, sequence.PromptLength, sequence.OutputTokens, sequence.CollectHiddenStates(),
            stats.PrefillTime ?? TimeSpan.Zero, stats.DecodeTime ?? TimeSpan.Zero, sequence.CachedPromptTokens));
    }

    private void Abort(Sequence sequence)
    {
        Report(sequence, FinishReason.Abort, Stopwatch.GetTimestamp());
        sequence.Registration.Dispose();
        sequence.Cancel();
    }

    private RequestStats Report(Sequence sequence, FinishReason reason, long now)
    {
        TimeSpan? Between(long? from, long? to) => from is { } a && to is { } b ? Stopwatch.GetElapsedTime(a, b) : null;
        var prefillEnd = sequence.FirstToken ?? sequence.PrefillDone;
        var stats = new RequestStats(reason, sequence.PromptLength, sequence.OutputTokens, sequence.MaxNewTokens,
            Stopwatch.GetElapsedTime(sequence.Arrival, now),
            Between(sequence.Arrival, sequence.FirstScheduled),
            Between(sequence.FirstScheduled, now),
            Between(sequence.FirstScheduled, prefillEnd),
            Between(sequence.FirstToken, sequence.FirstToken is null ? null : now));
        _observer.OnRequestFinished(stats);
        return stats;
    }

    // The queue lengths are reported whenever they change; the cache usage, which changes with every step, at most
    // once per interval; an idle engine reports zeros at once.
    private void Publish(bool idle)
    {
        var state = RecordState();

        var now = Stopwatch.GetTimestamp();
        var changed = state.Running != _published.Running || state.Waiting != _published.Waiting;
        if (changed || (idle && state != _published) || Stopwatch.GetElapsedTime(_publishedAt, now) >= _options.SchedulerStatsInterval)
        {
            _published = state;
            _publishedAt = now;
            _observer.OnSchedulerState(state with { Waiting = state.Waiting + Volatile.Read(ref _queued) });
        }
    }

    private SchedulerState RecordState()
    {
        var state = new SchedulerState(_scheduler.Running, _scheduler.Waiting, _scheduler.KvCacheUsage);
        lock (_stateGate)
        {
            _state = state;
        }

        return state;
    }

    /// <summary>An embedding prompt's token ids (zeros no embedding lookup uses: its rows replace them), after checking its rows.</summary>
    private int[] CheckEmbeddings(PromptEmbeddings embeddings)
    {
        ArgumentNullException.ThrowIfNull(embeddings.Data, nameof(embeddings));
        var width = PromptEmbeddingWidth;
        if (embeddings.Rows < 1 || embeddings.Width != width || embeddings.Data.Length != embeddings.Rows * embeddings.Width)
        {
            throw new ArgumentException(
                $"Prompt embeddings must be [rows >= 1, {width}] with rows x {width} values, got [{embeddings.Rows}, {embeddings.Width}] with {embeddings.Data.Length}.",
                nameof(embeddings));
        }
        var nonFinite = Array.FindIndex(embeddings.Data, value => !float.IsFinite(value));
        if (nonFinite >= 0)
        {
            throw new ArgumentException($"Prompt embeddings have a non-finite value ({embeddings.Data[nonFinite]}) at element {nonFinite}.", nameof(embeddings));
        }
        return new int[embeddings.Rows];
    }

    private int[] CheckTokenIds(IReadOnlyList<int> ids)
    {
        if (ids.Count == 0)
        {
            throw new ArgumentException("The prompt has no token ids.", nameof(ids));
        }
        foreach (var id in ids)
        {
            if (id < 0 || id >= VocabSize)
            {
                throw new ArgumentException($"Prompt token id {id} is outside the vocabulary [0, {VocabSize}).", nameof(ids));
            }
        }
        return [.. ids];
    }

    private int[] EncodePrompt(string prompt)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        var ids = Tokenizer.Encode(prompt);
        if (ids.Length > 0)
        {
            return ids;
        }

        // An empty prompt still needs one position to run from; like GPT-2's unconditional generation, start from BOS.
        var bos = _model.Config.BosTokenIds.Count > 0 ? _model.Config.BosTokenIds[0]
            : _eosTokenIds.Count > 0 ? _eosTokenIds.Min()
            : throw new ArgumentException("The prompt is empty and the model has no BOS or EOS token to start from.", nameof(prompt));
        return [bos];
    }

    private void CheckFits(GenerationRequest request, int promptTokens)
    {
        var newTokens = request.GenerateText ? request.MaxTokens : 0;
        var promptLimit = MaxPositionEmbeddings - newTokens;
        if (promptTokens > promptLimit)
        {
            throw new ArgumentException(
                $"The prompt has {promptTokens} tokens but at most {promptLimit} fit: max_position_embeddings ({MaxPositionEmbeddings}) - max_tokens ({newTokens}).",
                nameof(request));
        }

        // The blocks sequences can use (the decode graphs' scratch block is not theirs).
        var blocks = CacheConfig.NumBlocks;
        var capacity = (long)blocks * _pool.BlockSize;
        if (promptTokens + newTokens > capacity)
        {
            throw new ArgumentException(
                $"The prompt ({promptTokens} tokens) and max_tokens ({newTokens}) need more than the KV cache's {capacity} token slots ({blocks} blocks of {_pool.BlockSize}).",
                nameof(request));
        }
    }

    private void Validate(GenerationRequest request)
    {
        ArgumentNullException.ThrowIfNull(request.Prompt, nameof(request.Prompt));
        ArgumentNullException.ThrowIfNull(request.StopStrings, nameof(request.StopStrings));
        ArgumentNullException.ThrowIfNull(request.StopTokenIds, nameof(request.StopTokenIds));
        Require(request.MaxTokens >= 0, $"MaxTokens must not be negative (got {request.MaxTokens}).");
        Require(float.IsFinite(request.Temperature) && request.Temperature >= 0, $"Temperature must be a finite number >= 0 (got {request.Temperature}).");
        Require(request.TopP > 0 && request.TopP <= 1, $"TopP must be in (0, 1] (got {request.TopP}).");
        Require(request.TopK >= 0, $"TopK must not be negative (got {request.TopK}).");
        Require(request.MinP >= 0 && request.MinP < 1, $"MinP must be in [0, 1) (got {request.MinP}).");
        Require(float.IsFinite(request.RepetitionPenalty) && request.RepetitionPenalty > 0,
            $"RepetitionPenalty must be a finite number > 0 (got {request.RepetitionPenalty}).");
        Require(float.IsFinite(request.PresencePenalty), $"PresencePenalty must be finite (got {request.PresencePenalty}).");
        Require(float.IsFinite(request.FrequencyPenalty), $"FrequencyPenalty must be finite (got {request.FrequencyPenalty}).");
        Require(request.Logprobs is null || (request.Logprobs >= 0 && request.Logprobs <= VocabSize), $"Logprobs must be in [0, {VocabSize}] (got {request.Logprobs}).");
        foreach (var id in request.StopTokenIds)
        {
            Require(id >= 0 && id < VocabSize, $"Stop token id {id} is outside the vocabulary [0, {VocabSize}).");
        }

        static void Require(bool condition, string message)
        {
            if (!condition)
            {
                throw new ArgumentException(message, nameof(request));
            }
        }
    }

    private static void ValidateOptions(ArEngineOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.BlockSize, nameof(options.BlockSize));
        ArgumentOutOfRangeException.ThrowIfNegative(options.NumKvBlocks, nameof(options.NumKvBlocks));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.MaxNumSeqs, nameof(options.MaxNumSeqs));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.MaxNumBatchedTokens, nameof(options.MaxNumBatchedTokens));
        ArgumentOutOfRangeException.ThrowIfNegative(options.MaxWaiting, nameof(options.MaxWaiting));
        ArgumentOutOfRangeException.ThrowIfNegative(options.TorchThreads, nameof(options.TorchThreads));
        if (options.NumKvBlocks == 0 && !(options.KvCacheMemoryFraction > 0 && options.KvCacheMemoryFraction <= 0.9))
        {
            throw new ArgumentOutOfRangeException(nameof(options), $"KvCacheMemoryFraction must be in (0, 0.9], got {options.KvCacheMemoryFraction}.");
        }
        if (options.NumKvBlocks == 0 && !(options.GpuMemoryUtilization > 0 && options.GpuMemoryUtilization <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(options), $"GpuMemoryUtilization must be in (0, 1], got {options.GpuMemoryUtilization}.");
        }
    }

    // --num-kv-blocks; else on a GPU vLLM's --gpu-memory-utilization of the device (sized after the weights are on it),
    // on the CPU (or where the CUDA runtime cannot be asked) the memory fraction of the machine's RAM; capped at what
    // max_num_seqs full-length sequences could ever use.
    private static int PoolBlocks(ArEngineOptions options, TransformerConfig config, ScalarType dtype, Device device)
    {
        if (options.NumKvBlocks > 0)
        {
            return options.NumKvBlocks;
        }

        var bytes = device.type == DeviceType.CUDA && CudaMemory.TryGetInfo(device.index) is { } memory
            ? KvPoolSizing.DeviceBytes(memory.Free, memory.Total, options.GpuMemoryUtilization)
            : KvPoolSizing.HostBytes(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes, options.KvCacheMemoryFraction);
        return KvPoolSizing.Blocks(bytes, KvBlockPool.BytesPerBlock(config, options.BlockSize, dtype), options.MaxNumSeqs,
            config.MaxPositionEmbeddings, options.BlockSize);
    }
}
