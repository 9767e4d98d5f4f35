using System.Diagnostics;
using Omni.DiffusionStage.Imaging;
using Omni.DiffusionStage.Model;
using Omni.DiffusionStage.Scheduling;
using TorchSharp;
using static TorchSharp.torch;

namespace Omni.DiffusionStage.Engine;

/// <summary>
/// Text-conditioned latent diffusion: flow-matching Euler sampling of an <see cref="OmniDiT"/> with optional
/// classifier-free guidance, then latent decoding and image encoding. Requests are served one at a time.
/// </summary>
public sealed class DiffusionEngine : IDisposable
{
    private readonly OmniDiffusionModel model;
    private readonly Device device;
    private readonly FlowMatchEulerScheduler scheduler;
    private readonly SemaphoreSlim gate = new(1, 1);
    private bool disposed;

    private DiffusionEngine(OmniDiffusionModel model, Device device, string modelName)
    {
        this.model = model;
        this.device = device;
        ModelName = modelName;
        scheduler = new FlowMatchEulerScheduler(model.Config.NumTrainTimesteps, model.Config.SchedulerShift);
    }

    public string ModelName { get; }

    public int ConditioningWidth => model.Config.ConditioningWidth;

    public string DeviceName => device.ToString();

    internal DiffusionModelConfig Config => model.Config;

    /// <summary>
    /// Loads the checkpoint in <see cref="DiffusionEngineOptions.ModelDirectory"/>, or the built-in default model
    /// (generating it into the cache on first use). Throws <see cref="ArgumentException"/> for an unknown device and
    /// <see cref="InvalidDataException"/> for a malformed checkpoint.
    /// </summary>
    public static DiffusionEngine Load(DiffusionEngineOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var device = DeviceSelection.Resolve(options.Device);

        string directory;
        string name;
        if (options.ModelDirectory is null)
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
        return new DiffusionEngine(model, device, name);
    }

    /// <summary>
    /// Generates one image. Preprocess: conditioning to the device, its projection and the seeded latent noise.
    /// Exec: the denoising loop (<paramref name="observer"/> is told after each step). Postprocess: decoding and
    /// encoding. Throws <see cref="OperationCanceledException"/> when cancelled (checked before every step) and
    /// <see cref="ArgumentException"/> for an invalid request.
    /// </summary>
    public DiffusionResult Generate(DiffusionRequest request, IDiffusionStepObserver? observer, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        DiffusionRequestValidator.Validate(request, model.Config);
        gate.Wait(cancellationToken);
        try
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return GenerateExclusive(request, observer, cancellationToken);
        }
        finally
        {
            gate.Release();
        }
    }

    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        // Wait for a generation in progress to finish with the weights.
        gate.Wait();
        try
        {
            disposed = true;
            model.Dispose();
        }
        finally
        {
            gate.Release();
        }
    }

    private DiffusionResult GenerateExclusive(DiffusionRequest request, IDiffusionStepObserver? observer, CancellationToken cancellationToken)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var guided = request.GuidanceScale > 1f;
        var clock = Stopwatch.StartNew();

        var context = ProjectConditioning(request, guided);
        var latents = InitialLatents(request);
        var schedule = scheduler.CreateSchedule(request.Steps);
        Synchronize();
        var preprocessTime = clock.Elapsed;

        clock.Restart();
        for (var step = 0; step < request.Steps; step++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var next = Denoise(latents, context, schedule, step, guided ? request.GuidanceScale : null);
            latents.Dispose();
            latents = next;
            Synchronize();
            observer?.OnStep(step, clock.Elapsed);
        }

        var execTime = clock.Elapsed;
        cancellationToken.ThrowIfCancellationRequested();

        clock.Restart();
        var image = Decode(latents, request);
        var postprocessTime = clock.Elapsed;
        return new DiffusionResult(image, request.Width, request.Height, preprocessTime, execTime, postprocessTime);
    }

    /// <summary>[batch, tokens, hidden]: with guidance, batch 2 with the null conditioning first (as diffusers).</summary>
    private Tensor ProjectConditioning(DiffusionRequest request, bool guided)
    {
        using var scope = NewDisposeScope();
        var (tokens, width) = (request.ConditioningTokens, request.ConditioningWidth);
        var conditioning = tensor(request.Conditioning, [1, tokens, width]).to(device);
        if (guided)
        {
            // Attention over T copies of one token equals attention over that token, so the learned null
            // embedding can be repeated to batch both branches.
            var unconditional = model.NullConditioning.unsqueeze(0).expand(1, tokens, width);
            conditioning = cat([unconditional, conditioning], dim: 0);
        }

        return scope.MoveToOuter(model.Transformer.ProjectConditioning(conditioning));
    }

    /// <summary>Drawn on a CPU generator so a seed gives the same noise whatever the device.</summary>
    private Tensor InitialLatents(DiffusionRequest request)
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(request.Seed, CPU);
        var factor = model.Config.VaeScaleFactor;
        long[] shape = [1, model.Config.LatentChannels, request.Height / factor, request.Width / factor];
        return scope.MoveToOuter(randn(shape, generator: generator).to(device));
    }

    private Tensor Denoise(Tensor latents, Tensor context, FlowMatchEulerSchedule schedule, int step, float? guidanceScale)
    {
        using var scope = NewDisposeScope();
        var input = guidanceScale is null ? latents : cat([latents, latents], dim: 0);
        var timesteps = full([input.shape[0]], (float)schedule.Timesteps[step], dtype: float32, device: device);
        var velocity = model.Transformer.forward(input, timesteps, context);
        if (guidanceScale is { } scale)
        {
            var branches = velocity.chunk(2, dim: 0);
            velocity = branches[0].add(branches[1].sub(branches[0]).mul(scale));
        }

        return scope.MoveToOuter(schedule.Step(velocity, step, latents));
    }

    private byte[] Decode(Tensor latents, DiffusionRequest request)
    {
        using var scope = NewDisposeScope();
        var image = model.Decoder.forward(latents.div(model.Config.LatentScalingFactor));
        var rgb = ImageTensors.ToRgb8(image);
        return request.Format == ImageFormat.Png ? PngEncoder.Encode(rgb, request.Width, request.Height) : rgb;
    }

    private void Synchronize()
    {
        if (device.type == DeviceType.CUDA)
        {
            cuda.synchronize(device);
        }
    }
}
