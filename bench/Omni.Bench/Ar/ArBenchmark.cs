using System.CommandLine;
using System.Globalization;
using Omni.ArStage.Engine;
using Omni.ArStage.Model;
using Omni.Bench.Measuring;
using Omni.Common.Devices;

namespace Omni.Bench.Ar;

/// <summary>
/// `omni-bench ar`: decode throughput of the AR engine (in process, the serving path without gRPC) at several
/// numbers of concurrent requests, for the default model and a ~100M-parameter one; the ratio to one request at a
/// time; the same as a fraction of this machine's matmul throughput; resident memory over many requests and against
/// the KV pool size.
/// </summary>
public static class ArBenchmark
{
    // How long the JIT must have compiled nothing before a level is measured.
    private static readonly TimeSpan WarmUpQuiet = TimeSpan.FromSeconds(1);

    public static Command Create()
    {
        var models = new Option<string>("--models") { Description = "Comma-separated: default, 100m, host (the default model's structure at width 32: the host's cost per step).", DefaultValueFactory = _ => "default,100m" };
        var concurrency = new Option<string>("--concurrency") { Description = "Comma-separated concurrent requests; the first is the baseline.", DefaultValueFactory = _ => "1,8,32,64" };
        var tokens = new Option<int>("--tokens") { Description = "Tokens each request generates.", DefaultValueFactory = _ => 64 };
        var rounds = new Option<int>("--rounds") { Description = "Measured rounds per point; the table shows the median.", DefaultValueFactory = _ => 3 };
        var batchInvariant = new Option<bool>("--batch-invariant") { Description = "The engine's batch invariance (false: plain operators).", DefaultValueFactory = _ => true };
        var torchThreads = new Option<int>("--torch-threads") { Description = "libtorch threads (0: one per core).", DefaultValueFactory = _ => 0 };
        var cacheDirectory = new Option<string?>("--cache-dir") { Description = "Where the models are written (default: the stages' cache)." };
        var maxLoad = new Option<double>("--max-load") { Description = "Wait before each model until the 1-minute load average is below this.", DefaultValueFactory = _ => 1.5 };
        var quietTimeout = new Option<int>("--quiet-timeout") { Description = "Seconds to wait for a quiet machine before measuring anyway (noted).", DefaultValueFactory = _ => 1800 };
        var device = new Option<string>("--device") { Description = "cpu, cuda or cuda:N: where the engine runs.", DefaultValueFactory = _ => "cpu" };
        var dtype = new Option<string>("--dtype") { Description = "float32, bfloat16 or float16.", DefaultValueFactory = _ => "float32" };
        var variedPrompts = new Option<bool>("--varied-prompts") { Description = "Spread the prompts' lengths over a few hundred tokens (default: nearly equal)." };
        var cudaGraphs = new Option<bool>("--cuda-graphs") { Description = "Decode steps as CUDA graphs (on a CUDA device without batch invariance)." };
        var warmUpLimit = new Option<double>("--warm-up-limit")
        {
            Description = "Seconds of warm-up rounds at most per level: they repeat until the JIT has compiled nothing for a second (tiered compilation recompiles hot methods for seconds after start).",
            DefaultValueFactory = _ => 5,
        };
        var soakRequests = new Option<int>("--soak-requests") { Description = "Requests in the memory soak on the default model (0 skips it).", DefaultValueFactory = _ => 10_000 };
        var command = new Command("ar", "AR stage engine: decode tokens/s per concurrency, batched/sequential ratio, share of matmul peak, memory.")
        {
            models, concurrency, tokens, rounds, torchThreads, cacheDirectory, maxLoad, quietTimeout, soakRequests, batchInvariant, device, dtype, variedPrompts,
            cudaGraphs, warmUpLimit,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            Console.WriteLine($"Command: omni-bench {string.Join(' ', Environment.GetCommandLineArgs().Skip(1))}");
            var threads = parse.GetValue(torchThreads);
            var levels = parse.GetValue(concurrency)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(value => int.Parse(value, CultureInfo.InvariantCulture)).ToArray();
            var quiet = await LoadAverage.WaitBelowAsync(parse.GetValue(maxLoad), TimeSpan.FromSeconds(parse.GetValue(quietTimeout)), cancellationToken);
            // The peak the shares are of: the engine's device and dtype, not the CPU's float32 when the engine runs elsewhere.
            var spec = DeviceSpec.Resolve(parse.GetValue(device), TorchSharp.torch.cuda.is_available() ? TorchSharp.torch.cuda.device_count() : 0);
            var engineDevice = spec.CudaIndex is { } index ? new TorchSharp.torch.Device(TorchSharp.DeviceType.CUDA, index) : TorchSharp.torch.CPU;
            var peakDtype = ModelDType.Parse(parse.GetValue(dtype));
            var peak = MatmulRoofline.MeasureGflops(engineDevice, peakDtype, spec.CudaIndex is null ? 1024 : 8192, 7);
            Console.WriteLine($"Machine: {Environment.ProcessorCount} CPUs, libtorch threads {(threads > 0 ? threads.ToString(CultureInfo.InvariantCulture) : "default")}, " +
                $"{spec.Name} {parse.GetValue(dtype)} matmul {peak:F1} GFLOP/s; {LoadAverage.Uptime()}{(quiet ? "" : " (never quiet)")}");
            // Memory first, in a process that has not yet held other models, so resident memory shows this engine's own.
            if (parse.GetValue(soakRequests) > 0)
            {
                Memory(parse.GetValue(cacheDirectory), parse.GetValue(soakRequests));
            }

            Console.WriteLine();
            Console.WriteLine("| model | parameters | concurrent requests | tokens/s (median) | vs 1 at a time | GFLOP/s | share of matmul peak | operator calls / uploads / host copies per step | decode step, ms | schedule / prepare / issue / wait / finish, ms per step | GC pauses, ms per step |");
            Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|");
            foreach (var name in parse.GetValue(models)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                await MeasureModelAsync(name, levels, parse.GetValue(tokens), parse.GetValue(rounds), parse.GetValue(cacheDirectory), peak, threads,
                    parse.GetValue(batchInvariant), parse.GetValue(cudaGraphs), parse.GetValue(variedPrompts), parse.GetValue(device)!, parse.GetValue(dtype)!,
                    parse.GetValue(maxLoad),
                    TimeSpan.FromSeconds(parse.GetValue(quietTimeout)), TimeSpan.FromSeconds(parse.GetValue(warmUpLimit)), cancellationToken);
            }

            return 0;
        });
        return command;
    }

    private static async Task MeasureModelAsync(string name, int[] levels, int tokens, int rounds, string? cacheDirectory, double peak, int threads,
        bool batchInvariant, bool cudaGraphs, bool variedPrompts, string device, string dtype, double maxLoad, TimeSpan quietTimeout,
        TimeSpan warmUpLimit, CancellationToken cancellationToken)
    {
        var directory = BenchModels.Directory(name, cacheDirectory);
        var quiet = await LoadAverage.WaitBelowAsync(maxLoad, quietTimeout, cancellationToken);
        Console.Error.WriteLine($"{name} on {device} in {dtype}: {LoadAverage.Uptime()}{(quiet ? "" : " (never quiet)")}");
        using var engine = ArEngine.Load(new ArEngineOptions
        {
            ModelDirectory = directory,
            ModelName = name,
            Device = device,
            DType = dtype,
            NumKvBlocks = levels.Max() * ((tokens + (variedPrompts ? 512 : 64)) / 16 + 2),
            MaxNumSeqs = levels.Max(),
            TorchThreads = threads,
            BatchInvariant = batchInvariant,
            CudaGraphs = cudaGraphs,
        });
        Console.Error.WriteLine($"  CUDA graphs {engine.CudaGraphs}");
        var (parameters, flopsPerToken) = BenchModels.Size(TransformerConfig.Load(Path.Combine(directory, CheckpointLoader.ConfigFileName)));
        double? baseline = null;
        foreach (var level in levels)
        {
            // Whole rounds first: every attention length the measured rounds reach has run (on a GPU: kernels loaded on
            // first use, the caching allocator grown), as has every shape of the step, and the JIT has done recompiling.
            var warmUp = JitWarmUp.Run(() => DecodeThroughput.Round(engine, level, tokens, round: -1, variedPrompts), WarmUpQuiet, warmUpLimit);
            var (steps, tensors, uploads, copies) = (engine.EngineSteps, engine.EngineThreadTensorsCreated, engine.EngineThreadUploads, engine.EngineThreadHostCopies);
            var (phasesBefore, pausedBefore) = (engine.EngineStepPhases, GC.GetTotalPauseDuration());
            var rates = Enumerable.Range(0, rounds).Select(round => DecodeThroughput.Round(engine, level, tokens, round, variedPrompts)).ToList();
            double PerStep(long after, long before) => (after - before) / (double)Math.Max(1, engine.EngineSteps - steps);
            var counters = string.Create(CultureInfo.InvariantCulture, $"{PerStep(engine.EngineThreadTensorsCreated, tensors):F0} / " +
                $"{PerStep(engine.EngineThreadUploads, uploads):F1} / {PerStep(engine.EngineThreadHostCopies, copies):F1}");
            var phases = engine.EngineStepPhases.Minus(phasesBefore).MillisecondsPerStep(engine.EngineSteps - steps);
            var gcPause = (GC.GetTotalPauseDuration() - pausedBefore).TotalMilliseconds / Math.Max(1, engine.EngineSteps - steps);
            var median = Statistics.Median(rates);
            baseline ??= median;
            var gflops = median * flopsPerToken / 1e9;
            Console.Error.WriteLine($"  {level} concurrent: {string.Join(", ", rates.Select(r => r.ToString("F1", CultureInfo.InvariantCulture)))} tokens/s" +
                $" (after {warmUp.Rounds} warm-up rounds{(warmUp.Quiet ? "" : ", the JIT still compiling")})" +
                $"{(engine.CudaGraphs == "on" ? $" (decode graphs: {engine.DecodeGraphCounts.Graphs} recorded, {engine.DecodeGraphCounts.Replays} replays so far)" : "")}");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {name} | {parameters / 1e6:F1}M | {level} | {median:F1} | {median / baseline.Value:F1}x | {gflops:F2} | {gflops / peak:P1} | {counters} | {level * 1000 / median:F3} | " +
                $"{phases.Schedule:F3} / {phases.Prepare:F3} / {phases.Issue:F3} / {phases.Wait:F3} / {phases.Finish:F3} | {gcPause:F3} |"));
        }
    }

    // Resident memory: flat over many requests (no per-step leaks), and the KV pool as the only allocation that grows with --num-kv-blocks.
    private static void Memory(string? cacheDirectory, int requests)
    {
        var directory = BenchModels.Directory(BenchModels.Default, cacheDirectory);
        var pid = Environment.ProcessId;
        Console.WriteLine();
        Console.WriteLine("| --num-kv-blocks | engine resident memory (after load) | KV pool size |");
        Console.WriteLine("|---|---|---|");
        var loads = new List<(long Grown, long Pool)>();
        foreach (var blocks in new[] { 1024, 8192 })
        {
            GC.Collect();
            var before = ResidentMemory.Bytes(pid);
            using var engine = ArEngine.Load(new ArEngineOptions { ModelDirectory = directory, Device = "cpu", NumKvBlocks = blocks });
            var grown = ResidentMemory.Bytes(pid) - before;
            var pool = blocks * engine.CacheConfig.BytesPerBlock;
            loads.Add((grown, pool));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {blocks} | +{grown / 1048576.0:F1} MiB | {pool / 1048576.0:F1} MiB |"));
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| difference | +{(loads[1].Grown - loads[0].Grown) / 1048576.0:F1} MiB | +{(loads[1].Pool - loads[0].Pool) / 1048576.0:F1} MiB |"));
        Console.WriteLine();
        Console.WriteLine("| default model | resident memory |");
        Console.WriteLine("|---|---|");
        var samples = new List<(int Requests, long Bytes)>();
        using (var engine = ArEngine.Load(new ArEngineOptions { ModelDirectory = directory, Device = "cpu", NumKvBlocks = 1024, MaxNumSeqs = 64 }))
        {
            const int wave = 64;
            for (var done = 0; done < requests; done += wave)
            {
                var batch = Enumerable.Range(done, wave).Select(i => engine.GenerateAsync(
                    new GenerationRequest($"soak {i % 97}: {i}") { MaxTokens = 4, Temperature = 0.8f, Seed = (ulong)i, Logprobs = i % 5 == 0 ? 2 : null },
                    null, CancellationToken.None));
                Task.WhenAll(batch).GetAwaiter().GetResult();
                if ((done + wave) % Math.Max(wave, requests / 10 / wave * wave) == 0)
                {
                    samples.Add((done + wave, ResidentMemory.Bytes(pid)));
                }
            }
        }

        foreach (var (count, bytes) in samples)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| after {count} requests | {bytes / 1048576.0:F1} MiB |"));
        }

        var settled = samples.Skip(1).ToList();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| growth from request {settled[0].Requests} to {settled[^1].Requests} | {(settled[^1].Bytes - settled[0].Bytes) / 1048576.0:F1} MiB |"));

    }
}
