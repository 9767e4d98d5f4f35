#!/usr/bin/env bash
# Regenerates every table of BENCHMARKS.md: the component benchmarks (omni-bench) and the serving sweeps (omni bench).
# Each writes its markdown tables (with its command line and the machine's load) to artifacts/bench/NAME.txt; the
# serving sweeps also write JSON there and their charts to docs/benchmarks/NAME/. Run on a quiet machine:
#   bench/run-all.sh                     every part (about an hour on 2 cores)
#   bench/run-all.sh serve-text hop      some parts: ar ar-step ar-host diffusion code2wav speech video numerics hop connectors metrics tracing serve-text serve-image serve-mixed serve-speech
set -euo pipefail
cd "$(dirname "$0")/.."
out=artifacts/bench
mkdir -p "$out"
dotnet build Omni.sln -c Release -v q -nologo >/dev/null
omni=(dotnet tools/omni/bin/Release/net10.0/omni.dll)
bench=(dotnet bench/Omni.Bench/bin/Release/net10.0/omni-bench.dll)
parts=("$@")
[ ${#parts[@]} -gt 0 ] || parts=(ar ar-step ar-host diffusion code2wav speech video numerics hop connectors metrics tracing serve-text serve-image serve-mixed serve-speech)

serve() { # NAME, then omni bench arguments
  local name=$1; shift
  "${omni[@]}" bench --local --device cpu "$@" --json "$out/$name.json" --plot "docs/benchmarks/$name" | tee "$out/$name.txt"
}

for part in "${parts[@]}"; do
  echo "== $part ($(cut -d' ' -f1-3 /proc/loadavg) load)"
  case "$part" in
    ar|diffusion|code2wav|speech|video|numerics) "${bench[@]}" "$part" | tee "$out/$part.txt" ;;
    hop|connectors|metrics|tracing) "${bench[@]}" pipeline --parts "$part" | tee "$out/$part.txt" ;;
    # What a GPU pays per AR step (operator calls, uploads, host copies), with and without batch invariance.
    ar-step) for invariant in false true; do
        "${bench[@]}" ar --models default --concurrency 1,64 --tokens 32 --rounds 3 --batch-invariant "$invariant" --varied-prompts \
          --soak-requests 0 --max-load 100
      done | tee "$out/$part.txt" ;;
    # What a decode step costs the host: the default model's operators at width 32, one libtorch thread, without batch invariance.
    ar-host) for prompts in "" --varied-prompts; do
        "${bench[@]}" ar --models host --concurrency 1,64 --tokens 64 --rounds 3 --batch-invariant false --torch-threads 1 $prompts \
          --soak-requests 0 --max-load 100
      done | tee "$out/$part.txt" ;;
    # Text: the default workload (8-32 word prompts, 16-64 tokens); saturation is the highest rate with p99 TTFT under 1 s.
    serve-text) serve serve-text --mix text=1 --sweep rate=2,4,8,16,32 --duration 30 --slo ttft=1s ;;
    # Images: 256x256, 20 steps; the objective is on the first image.
    serve-image) serve serve-image --mix image=1 --sweep rate=0.25,0.5,1,2 --duration 40 --slo image_ttfp=10s ;;
    # Mixed: three text requests to one image request.
    serve-mixed) serve serve-mixed --mix text=3,image=1 --sweep rate=0.5,1,2,4 --duration 30 --slo ttft=1s,image_ttfp=10s ;;
    # Speech: a short answer spoken as 2-4 s of audio (default chunks of 25 frames); objectives first audio within 1 s
    # and a real-time factor under 1 (the audio keeps up with playback).
    serve-speech) serve serve-speech --speech --mix speech=1 --audio-seconds 2-4 --max-tokens 8-16 --sweep rate=0.25,0.5,1,2 --duration 30 \
      --slo audio_ttfp=1s,audio_rtf=1 ;;
    *) echo "unknown part '$part'" >&2; exit 2 ;;
  esac
done
