using Omni.Code2Wav.Model;
using Omni.Common.Devices;
using Omni.Common.Numerics;
using Omni.Common.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace Omni.Code2Wav.Engine;

/// <summary>A loaded vocoder on its device: what a stage needs to open streams and run their chunks.</summary>
public sealed class Code2WavEngine : IDisposable
{
    private readonly Code2WavModel _model;

    private Code2WavEngine(Code2WavModel model, Device device, string deviceName, string modelName)
    {
        _model = model;
        Device = device;
        DeviceName = deviceName;
        ModelName = modelName;
    }

    public Device Device { get; }

    public string DeviceName { get; }

    public string ModelName { get; }

    public Code2WavConfig Config => _model.Config;

    public int SampleRate => _model.Config.SampleRate;

    public int CodebookSize => _model.Config.CodebookSize;

    /// <summary>A new stream of one request's frames.</summary>
    public StreamingDecoder OpenStream() => new(_model, Device);

    /// <summary>An engine loop over this engine's model (not started).</summary>
    public Code2WavEngineLoop CreateLoop(int maxBatchSize, int maxWaiting, ICode2WavObserver? observer) =>
        new(_model, Device, maxBatchSize, maxWaiting, observer);

    /// <summary>
    /// Loads the checkpoint in <see cref="Code2WavEngineOptions.ModelDirectory"/>, or the built-in default vocoder, on a
    /// thread of its own (<see cref="OwnThread"/>). Throws <see cref="ArgumentException"/> for an unknown device and
    /// <see cref="InvalidDataException"/> for a malformed checkpoint.
    /// </summary>
    public static Code2WavEngine Load(Code2WavEngineOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return OwnThread.Run("code2wav-model-load", () => LoadHere(options));
    }

    public void Dispose() => _model.Dispose();

    private static Code2WavEngine LoadHere(Code2WavEngineOptions options)
    {
        var spec = DeviceSpec.Resolve(options.Device, cuda.is_available() ? cuda.device_count() : 0);
        var device = spec.CudaIndex is { } index ? new Device(DeviceType.CUDA, index) : CPU;
        Nnpack.Disable();
        var directory = options.ModelDirectory ?? DefaultCode2WavModel.EnsureCached(options.CacheDirectory);
        var name = options.ModelName
            ?? (options.ModelDirectory is null ? DefaultCode2WavModel.Name : Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory))));
        var model = Code2WavCheckpoint.Load(directory, device);
        return new Code2WavEngine(model, device, spec.Name, name);
    }
}
