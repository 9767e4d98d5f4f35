using System.Diagnostics;
using Omni.Common.Devices;
using Omni.Common.Numerics;
using Omni.Common.Torch;
using Omni.DiffusionStage.Imaging;
using Omni.DiffusionStage.Model;
using Omni.DiffusionStage.Scheduling;
using TorchSharp;
using static TorchSharp.torch;

namespace Omni.DiffusionStage.Engine;

/// <summary>
/// Text-conditioned latent diffusion with a velocity-predicting <see cref="OmniDiT"/>: per-request sampling
/// (flow-matching Euler or DDIM), optional classifier-free guidance, then latent decoding and image encoding. A video
/// model denoises a clip's latents [C, frames, h, w] the same way and decodes them frame by frame, handing each frame
/// (RGB8) to the caller's sink as soon as it is decoded, so that encoding can start before the last frame exists.
/// </summary>
/// <remarks>
/// Requests run in three phases: <see cref="Prepare"/> (preprocess), <see cref="Step"/> (one denoising step of
/// any set of same-size requests, batched into one forward pass) and <see cref="Finish"/> (postprocess);
/// <see cref="Generate"/> runs one request through all three. Every per-sample computation is laid out so that its
/// result does not depend on the other samples in the batch: what depends on one request's conditioning or on one
/// timestep is computed alone (small matrix products take batch-dependent kernels), the rest is batched where
/// libtorch's kernels treat rows independently, and each image is decoded alone. A request therefore gives the
/// same bytes alone or batched. The engine is not re-entrant: calls are serialized.
/// </remarks>
public sealed class DiffusionEngine : IDisposable
{
    private readonly OmniDiffusionModel model;
    private readonly Device device;
    private readonly DdimScheduler ddimLeading;
    private readonly DdimScheduler ddimTrailing;
    private readonly Tensor[] nullKeyValues;
    private readonly SemaphoreSlim gate = new(1, 1);
    private bool disposed;

    private DiffusionEngine(OmniDiffusionModel model, Device device, string deviceName, string modelName)
    {
        this.model = model;
        this.device = device;
        DeviceName = deviceName;
        ModelName = modelName;
        ddimLeading = new DdimScheduler(DdimOptions(model.Config, TimestepSpacing.Leading));
        ddimTrailing = new DdimScheduler(DdimOptions(model.Config, TimestepSpacing.Trailing));
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var nullContext = model.Transformer.ProjectConditioning(model.NullConditioning.unsqueeze(0));
        nullKeyValues = model.Transformer.CrossAttentionKeyValues(nullContext);
        foreach (var tensor in nullKeyValues)
        {
            tensor.DetachFromDisposeScope();
        }
    }

    public string ModelName { get; }

    public int ConditioningWidth => model.Config.ConditioningWidth;

    /// <summary>Widths and heights must be multiples of this (the decoder's scale times the patch size).</summary>
    public int SizeMultiple => model.Config.SizeMultiple;

    /// <summary>The model makes video clips (requests with <see cref="DiffusionRequest.Frames"/>), not images.</summary>
    public bool IsVideo => model.Config.IsVideo;

    /// <summary>A video request's frames must be a multiple of this (the model's patch_size_t).</summary>
    public int TemporalPatchSize => model.Config.PatchSizeT;

    /// <summary>"cpu" or "cuda:N".</summary>
    public string DeviceName { get; }

    internal DiffusionModelConfig Config => model.Config;

    /// <summary>
    /// Loads the checkpoint in <see cref="DiffusionEngineOptions.ModelDirectory"/>, or the built-in default model
    /// (generating it into the cache on first use). Throws <see cref="ArgumentException"/> for an unknown device and
    /// <see cref="InvalidDataException"/> for a malformed checkpoint.
    /// </summary>
    /// <remarks>Loads on a thread of its own (<see cref="OwnThread"/>), for libgomp's sake.</remarks>
    public static DiffusionEngine Load(DiffusionEngineOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return OwnThread.Run("diffusion-model-load", () => LoadHere(options));
    }

    private static DiffusionEngine LoadHere(DiffusionEngineOptions options)
    {
        var spec = DeviceSpec.Resolve(options.Device, cuda.is_available() ? cuda.device_count() : 0);
        var device = spec.CudaIndex is { } index ? new Device(DeviceType.CUDA, index) : CPU;
        Nnpack.Disable();

        string directory;
        string name;
        if (options.ModelDirectory is null && options.BuiltInModel == BuiltInDiffusionModel.Video)
        {
            directory = DefaultDiffusionModel.EnsureCachedVideo(options.CacheDirectory);
            name = options.ModelName ?? DefaultDiffusionModel.VideoName;
        }
        else if (options.ModelDirectory is null)
        {
            directory = DefaultDiffusionModel.EnsureCached(options.CacheDirectory);
            name = options.ModelName ?? DefaultDiffusionModel.Name;
        }
        else
        {
            directory = options.ModelDirectory;
            name = options.ModelName ?? Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory)));
        }

        var model = DiffusionCheckpoint.Load(directory, device);
        try
        {
            return new DiffusionEngine(model, device, spec.Name, name);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Throws <see cref="ArgumentException"/> with a message fit for a client when the model cannot serve <paramref name="request"/>.</summary>
    public void Validate(DiffusionRequest request) => DiffusionRequestValidator.Validate(request, model.Config);

    /// <summary>
    /// Generates one request's images: <see cref="Prepare"/>, <see cref="Step"/> until denoised (<paramref name="observer"/>
    /// is told after each step, with its duration), <see cref="Finish"/>. Throws <see cref="OperationCanceledException"/>
    /// when cancelled (checked before every step and every video frame) and <see cref="ArgumentException"/> for an
    /// invalid request. A video's frames go to <paramref name="onFrame"/>, in order, as they are decoded.
    /// </summary>
    public DiffusionResult Generate(DiffusionRequest request, IDiffusionStepObserver? observer, CancellationToken cancellationToken,
        Action<VideoFrame>? onFrame = null)
    {
        Validate(request);
        return Exclusive(() =>
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var job = PrepareCore(request);
            List<DiffusionJob> batch = [job];
            while (!job.IsDenoised)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var step = job.StepIndex;
                var duration = StepCore(batch);
                observer?.OnStep(step, duration);
            }

            cancellationToken.ThrowIfCancellationRequested();
            return FinishCore(job, onFrame, cancellationToken);
        });
    }

    /// <summary>
    /// Preprocess: the conditioning (and the negative conditioning, with guidance) to the device, its projection and
    /// cross-attention keys/values, the sampler and each image's seeded initial noise. The request must be valid.
    /// </summary>
    internal DiffusionJob Prepare(DiffusionRequest request) => Exclusive(() => PrepareCore(request));

    /// <summary>One denoising step of every job (all the same image size, none denoised) as one batch; returns its duration.</summary>
    internal TimeSpan Step(IReadOnlyList<DiffusionJob> jobs) => Exclusive(() => StepCore(jobs));

    /// <summary>
    /// Postprocess: decodes and encodes a denoised job's images, one image at a time; a video's frames are decoded one at a
    /// time and handed to <paramref name="onFrame"/> (cancellation is checked before each).
    /// </summary>
    internal DiffusionResult Finish(DiffusionJob job, Action<VideoFrame>? onFrame, CancellationToken cancellationToken) =>
        Exclusive(() => FinishCore(job, onFrame, cancellationToken));

    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        // Wait for a call in progress to finish with the weights.
        gate.Wait();
        try
        {
            disposed = true;
            foreach (var tensor in nullKeyValues)
            {
                tensor.Dispose();
            }

            model.Dispose();
        }
        finally
        {
            gate.Release();
        }
    }

    private static DdimSchedulerOptions DdimOptions(DiffusionModelConfig config, TimestepSpacing spacing) => new()
    {
        // Stable Diffusion's DDIM configuration; latents are not images, so the predicted sample is not clipped.
        NumTrainTimesteps = config.NumTrainTimesteps,
        TimestepSpacing = spacing,
        StepsOffset = 1,
        SetAlphaToOne = false,
        ClipSample = false,
    };

    private T Exclusive<T>(Func<T> action)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        gate.Wait();
        try
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return action();
        }
        finally
        {
            gate.Release();
        }
    }

    private DiffusionJob PrepareCore(DiffusionRequest request)
    {
        var started = Stopwatch.GetTimestamp();
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var sampler = CreateSampler(request);
        var conditional = KeyValues(request.Conditioning, request.ConditioningTokens, request.NumImages);
        Tensor[]? unconditional = null;
        if (request.Guided)
        {
            unconditional = request.NegativeConditioning is { } negative
                ? KeyValues(negative, request.NegativeConditioningTokens, request.NumImages)
                : nullKeyValues.Select(keyValues => keyValues.repeat(request.NumImages, 1, 1)).ToArray();
        }

        var latents = InitialLatents(request);
        Synchronize();
        foreach (var tensor in conditional.Concat(unconditional ?? []).Append(latents))
        {
            tensor.DetachFromDisposeScope();
        }

        return new DiffusionJob(request, sampler, latents, conditional, unconditional, Stopwatch.GetElapsedTime(started));
    }

    private IVelocitySampler CreateSampler(DiffusionRequest request) => request.Sampler switch
    {
        SamplerKind.FlowMatchEuler => new FlowMatchVelocitySampler(
            new FlowMatchEulerScheduler(model.Config.NumTrainTimesteps, request.Shift ?? model.Config.SchedulerShift).CreateSchedule(request.Steps)),
        SamplerKind.Ddim => new DdimVelocitySampler(
            (request.TimestepSpacing == TimestepSpacing.Trailing ? ddimTrailing
                : request.TimestepSpacing == TimestepSpacing.Leading ? ddimLeading
                : new DdimScheduler(DdimOptions(model.Config, request.TimestepSpacing))).CreateSchedule(request.Steps),
            model.Config.NumTrainTimesteps),
        _ => throw new ArgumentException($"Unknown sampler {request.Sampler}.", nameof(request)),
    };

    /// <summary>Per block, [rows, tokens, 2 * hidden]: computed for one copy of the conditioning, then repeated.</summary>
    private Tensor[] KeyValues(float[] conditioning, int tokens, int rows)
    {
        using var scope = NewDisposeScope();
        var hidden = DeviceUploads.Upload(conditioning, [1, tokens, model.Config.ConditioningWidth], device);
        var keyValues = model.Transformer.CrossAttentionKeyValues(model.Transformer.ProjectConditioning(hidden));
        if (rows > 1)
        {
            keyValues = keyValues.Select(perBlock => perBlock.repeat(rows, 1, 1)).ToArray();
        }

        scope.MoveToOuter(keyValues);
        return keyValues;
    }

    /// <summary>
    /// [images, C, h, w] (a video: [1, C, frames, h, w]): image i drawn from its own CPU generator seeded with seed + i,
    /// whatever the device.
    /// </summary>
    private Tensor InitialLatents(DiffusionRequest request)
    {
        using var scope = NewDisposeScope();
        var factor = model.Config.VaeScaleFactor;
        long[] shape = request.IsVideo
            ? [1, model.Config.LatentChannels, request.Frames, request.Height / factor, request.Width / factor]
            : [1, model.Config.LatentChannels, request.Height / factor, request.Width / factor];
        var images = new Tensor[request.NumImages];
        for (var i = 0; i < images.Length; i++)
        {
            using var generator = new Generator(request.ImageSeed(i), CPU);
            images[i] = randn(shape, generator: generator);
        }

        var latents = images.Length == 1 ? images[0] : cat(images, dim: 0);
        return scope.MoveToOuter(DeviceUploads.Upload(latents, device));
    }

    private TimeSpan StepCore(IReadOnlyList<DiffusionJob> jobs)
    {
        ArgumentOutOfRangeException.ThrowIfZero(jobs.Count);
        var started = Stopwatch.GetTimestamp();
        long ended;
        using var noGrad = no_grad();
        using (NewDisposeScope())
        {
            var layout = BatchLayout.Create(jobs);
            var inputs = jobs.ToDictionary(job => job, job => job.Sampler.ModelInput(job.Latents, job.StepIndex));
            var latents = cat(layout.Groups.Select(group => inputs[group.Job]).ToList(), dim: 0);

            // The step's one upload: its timesteps and each row's, together (float64 holds both exactly).
            var count = layout.Timesteps.Count;
            var uploaded = DeviceUploads.Upload([.. layout.Timesteps, .. layout.RowTimestep.Select(index => (double)index)],
                [count + layout.RowTimestep.Count], device);
            var modulations = Enumerable.Range(0, count)
                .Select(index => model.Transformer.Modulate(uploaded.narrow(0, index, 1).to(ScalarType.Float32)))
                .ToList();
            var modulation = TimestepModulation.Gather(modulations, uploaded.narrow(0, count, layout.RowTimestep.Count).to(ScalarType.Int64));
            var velocity = model.Transformer.Denoise(latents, modulation, layout.KeyValueGroups());

            var next = new Tensor[jobs.Count];
            for (var i = 0; i < jobs.Count; i++)
            {
                var job = jobs[i];
                var guided = layout.Velocity(velocity, job, conditional: true);
                if (job.UnconditionalKeyValues is not null)
                {
                    // diffusers: uncond + scale * (cond - uncond).
                    var unconditional = layout.Velocity(velocity, job, conditional: false);
                    guided = unconditional.add(guided.sub(unconditional).mul(job.Request.GuidanceScale));
                }

                next[i] = job.Sampler.Step(guided, job.StepIndex, job.Latents);
            }

            Synchronize();
            ended = Stopwatch.GetTimestamp();
            for (var i = 0; i < jobs.Count; i++)
            {
                jobs[i].Advance(next[i].DetachFromDisposeScope(), started, ended);
            }
        }

        return Stopwatch.GetElapsedTime(started, ended);
    }

    private DiffusionResult FinishCore(DiffusionJob job, Action<VideoFrame>? onFrame, CancellationToken cancellationToken)
    {
        if (!job.IsDenoised)
        {
            throw new InvalidOperationException($"The job has run {job.StepIndex} of {job.Sampler.Steps} steps.");
        }

        var started = Stopwatch.GetTimestamp();
        var request = job.Request;
        if (request.IsVideo)
        {
            for (var frame = 0; frame < request.Frames; frame++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                byte[] rgb;
                using (no_grad())
                using (NewDisposeScope())
                {
                    // Each frame alone: the decoder's kernels would otherwise depend on how many frames share the batch.
                    var latents = job.Latents.select(2, frame).div(model.Config.LatentScalingFactor);
                    rgb = ImageTensors.ToRgb8(model.Decoder.forward(latents));
                }

                onFrame?.Invoke(new VideoFrame(frame, rgb));
            }

            return new DiffusionResult([], request.Width, request.Height, ImageFormat.Rgb8, job.PreprocessTime, job.ExecTime,
                Stopwatch.GetElapsedTime(started)) { Frames = request.Frames };
        }

        var images = new GeneratedImage[job.Images];
        for (var i = 0; i < images.Length; i++)
        {
            byte[] rgb;
            using (no_grad())
            using (NewDisposeScope())
            {
                var image = model.Decoder.forward(job.Latents.narrow(0, i, 1).div(model.Config.LatentScalingFactor));
                rgb = ImageTensors.ToRgb8(image);
            }

            var data = request.Format == ImageFormat.Png ? PngEncoder.Encode(rgb, request.Width, request.Height) : rgb;
            images[i] = new GeneratedImage(i, request.ImageSeed(i), data);
        }

        return new DiffusionResult(images, request.Width, request.Height, request.Format, job.PreprocessTime, job.ExecTime,
            Stopwatch.GetElapsedTime(started));
    }

    private void Synchronize()
    {
        if (device.type == DeviceType.CUDA)
        {
            cuda.synchronize(device);
        }
    }
}
