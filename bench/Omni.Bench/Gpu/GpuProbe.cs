using System.CommandLine;
using System.Globalization;
using Omni.Bench.Ar;
using Omni.Common.Devices;
using Omni.Common.Torch;
using static TorchSharp.torch;

namespace Omni.Bench.Gpu;

/// <summary>
/// `omni-bench gpu-probe`: whether TorchSharp computes on the device with the libtorch it loaded, and how fast:
/// the CUDA devices it sees, matmul TFLOP/s per size and dtype (RESULT lines a script can grep), and the largest
/// difference between a float32 product on the device and on the CPU, the engines' upload, and whether a decode-like
/// step can be captured as a CUDA graph and what replaying it saves (<see cref="CudaGraphProbe"/>), and the same for the
/// default AR model's decode step at batch 1 and 64 (<see cref="ModelStepGraphProbe"/>), and the engine's tokens with
/// decode graphs against without (<see cref="EngineGraphProbe"/>).
/// </summary>
public static class GpuProbe
{
    public static Command Create()
    {
        var device = new Option<string>("--device") { Description = "cuda, cuda:N or cpu (a rehearsal).", DefaultValueFactory = _ => "cuda" };
        var sizes = new Option<string>("--sizes") { Description = "Comma-separated n of the [n, n] x [n, n] products.", DefaultValueFactory = _ => "4096,8192" };
        var command = new Command("gpu-probe", "TorchSharp on the device: CUDA devices, matmul TFLOP/s by size and dtype, agreement with the CPU.") { device, sizes };
        command.SetAction(parse =>
        {
            var devices = cuda.is_available() ? cuda.device_count() : 0;
            Console.WriteLine($"RESULT cuda available={cuda.is_available()} devices={devices}");
            var spec = DeviceSpec.Resolve(parse.GetValue(device), devices);
            var target = spec.CudaIndex is { } index ? new Device(TorchSharp.DeviceType.CUDA, index) : CPU;
            Console.WriteLine($"device {spec.Name}");
            foreach (var n in parse.GetValue(sizes)!.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(value => int.Parse(value, CultureInfo.InvariantCulture)))
            {
                foreach (var dtype in new[] { ScalarType.Float32, ScalarType.BFloat16 })
                {
                    var gflops = MatmulRoofline.MeasureGflops(target, dtype, n, repeats: 5);
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"RESULT torchsharp matmul device={spec.Name} n={n} dtype={dtype} TFLOP/s={gflops / 1000:F2}"));
                }
            }
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"RESULT agreement device={spec.Name} max_abs_diff_vs_cpu={Agreement(target):E2}"));
            Console.WriteLine($"RESULT upload device={spec.Name} exact={Upload(target)} pinned={DeviceUploads.Pinning}");
            Console.WriteLine(CudaGraphProbe.Run(target, spec.Name));
            foreach (var line in ModelStepGraphProbe.Run(target, spec.Name, cacheDirectory: null, [1, 64]))
            {
                Console.WriteLine(line);
            }
            Console.WriteLine(EngineGraphProbe.Run(spec.Name, spec.Name, cacheDirectory: null));
            return 0;
        });
        return command;
    }

    /// <summary>Whether the engines' upload (pinned and non-blocking on CUDA) delivers the host's values.</summary>
    private static bool Upload(Device device)
    {
        using var scope = NewDisposeScope();
        var values = Enumerable.Range(0, 100_000).Select(i => (long)i * 7919).ToArray();
        var uploaded = DeviceUploads.Upload(values, device).add(1);
        return uploaded.cpu().data<long>().ToArray().SequenceEqual(values.Select(value => value + 1));
    }

    /// <summary>The largest difference between one seeded float32 [256, 256] product on the device and on the CPU.</summary>
    private static double Agreement(Device device)
    {
        using var scope = NewDisposeScope();
        using var inference = inference_mode();
        var generator = new Generator(7);
        var a = randn(256, 256, generator: generator);
        var b = randn(256, 256, generator: generator);
        var onDevice = a.to(device).mm(b.to(device)).cpu();
        return onDevice.sub(a.mm(b)).abs().max().item<float>();
    }
}
