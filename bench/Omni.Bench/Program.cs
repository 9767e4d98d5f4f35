using System.CommandLine;

// Benchmarks: run with -c Release on a quiet machine; each command prints a markdown table for BENCHMARKS.md.
var root = new RootCommand("Omni benchmarks (results go to BENCHMARKS.md).");
root.Subcommands.Add(Omni.Bench.Diffusion.DiffusionBenchmark.Create());
root.Subcommands.Add(Omni.Bench.Pipeline.PipelineBenchmark.Create());
root.Subcommands.Add(Omni.Bench.Ar.ArBenchmark.Create());
root.Subcommands.Add(Omni.Bench.Numerics.NumericsBenchmark.Create());
root.Subcommands.Add(Omni.Bench.Code2Wav.Code2WavBenchmark.Create());
root.Subcommands.Add(Omni.Bench.Speech.SpeechBenchmark.Create());
root.Subcommands.Add(Omni.Bench.Video.VideoBenchmark.Create());
root.Subcommands.Add(Omni.Bench.Gpu.GpuProbe.Create());
root.Subcommands.Add(Omni.Bench.Pipeline.BarePeer.Create());
return await root.Parse(args).InvokeAsync();
