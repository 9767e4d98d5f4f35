#!/usr/bin/env bash
# One command for a GPU check, in two halves (docs/usage.md, "GPUs"):
#   scripts/gpu-check.sh bundle [DIR]   here, with the .NET SDK: publishes the services, omni and omni-bench
#                                       (framework-dependent, libtorch left out), the CUDA graph shim (native/cuda-graphs)
#                                       and the .NET runtime into DIR
#                                       (default artifacts/gpu-bundle), under 45 MiB, with this script as DIR/run.sh.
#   bash DIR/run.sh                     on the GPU machine (no .NET, no internet; a Python with PyTorch): unpacks to
#                                       /tmp, loads that PyTorch's libtorch ("bring your own libtorch"), and runs,
#                                       within BUDGET seconds (default 420): a TorchSharp CUDA probe, `omni up --device
#                                       cuda` with a text+image+speech request and a /metrics scrape, `omni-bench ar`
#                                       and `omni-bench diffusion` on the device. Results go to OUT (default
#                                       /tmp/gpu-out): run.log, probe.log, e2e.log, metrics.txt, ar.md, diffusion.md,
#                                       ar-varied.md, ar-host.md (what a decode step costs the host), ar-graphs.md (decode
#                                       steps as CUDA graphs) and hf.md
#                                       (transformers' generate() on the same checkpoints, scripts/hf-peer.py).
# Rehearse the second half on a CPU machine: DEV=cpu QUICK=1 TORCH_LIB=<a libtorch lib dir> bash DIR/run.sh
# (the tests do, GpuCheckRehearsalTests, with a quick bundle: CONFIGURATION=Debug XZ_LEVEL=0, whose size is not checked).
set -uo pipefail

bundle() {
  set -e
  local root out stage sdk configuration=${CONFIGURATION:-Release} level=${XZ_LEVEL:-9}
  root=$(cd "$(dirname "$0")/.." && pwd)
  out=$(mkdir -p "${1:-$root/artifacts/gpu-bundle}" && cd "${1:-$root/artifacts/gpu-bundle}" && pwd)
  stage=$(mktemp -d)
  trap "rm -rf '$stage'" EXIT
  for app in orchestrator:services/orchestrator ar-stage:services/ar-stage diffusion-stage:services/diffusion-stage \
             code2wav-stage:services/code2wav-stage omni:tools/omni bench:bench/Omni.Bench; do
    echo "publishing ${app%%:*} ..."
    dotnet publish "$root/${app#*:}" -c "$configuration" -r linux-x64 --self-contained false -v q -nologo -o "$stage/apps/${app%%:*}" >/dev/null
  done
  # The GPU machine brings libtorch (its PyTorch's); only TorchSharp's own shim travels.
  find "$stage/apps" \( -name 'libtorch*.so*' -o -name 'libc10*.so*' -o -name 'libgomp*.so*' -o -name 'libshm*.so*' \
    -o -name 'libaoti*.so*' -o -name 'libbackend_with_compiler.so' -o -name 'libjitbackend_test.so' -o -name 'libnnapi_backend.so' \) -delete
  # CUDA graphs through libtorch's own CUDAGraph (TorchSharp has none): the probe tries them (gpu-probe's RESULT cudagraph).
  if command -v g++ >/dev/null; then
    "$root/native/cuda-graphs/build.sh" "$stage/apps/bench"
  else
    echo "no g++ here: the bundle goes without libomni_cuda_graphs.so (the probe will say so)"
  fi
  sdk=$(dirname "$(readlink -f "$(command -v dotnet)")")
  mkdir -p "$stage/dotnet/host" "$stage/dotnet/shared"
  cp "$sdk/dotnet" "$stage/dotnet/"
  cp -r "$sdk/host/fxr" "$stage/dotnet/host/"
  cp -r "$sdk/shared/Microsoft.NETCore.App" "$sdk/shared/Microsoft.AspNetCore.App" "$stage/dotnet/shared/"
  echo "compressing ..."
  tar -C "$stage" -cf - apps | xz "-$level" -T0 > "$out/apps.tar.xz"
  tar -C "$stage" -cf - dotnet | xz "-$level" -T0 > "$out/dotnet-runtime.tar.xz"
  cp "$0" "$out/run.sh"
  cp "$(dirname "$0")/hf-peer.py" "$out/hf-peer.py"
  local bytes
  bytes=$(du -cb "$out"/*.tar.xz | tail -1 | cut -f1)
  echo "bundle: $out ($((bytes / 1048576)) MiB)"
  [ "$level" != 9 ] || [ "$bytes" -lt $((45 * 1048576)) ] || { echo "the bundle is over 45 MiB" >&2; exit 1; }
}

run() {
  local B T0 DEADLINE A  # OUT, DEV, QUICK, BUDGET, W and TORCH_LIB may come from the environment
  B=$(cd "$(dirname "$0")" && pwd)
  OUT=${OUT:-/tmp/gpu-out}; mkdir -p "$OUT"
  DEV=${DEV:-cuda}; QUICK=${QUICK:-0}; BUDGET=${BUDGET:-420}
  W=${W:-/tmp/omni-gpu}; rm -rf "$W"; mkdir -p "$W"
  T0=$(date +%s); DEADLINE=$((T0 + BUDGET))
  exec > >(tee -a "$OUT/run.log") 2>&1
  stamp() { echo "=== [$(( $(date +%s) - T0 ))s] $*"; }
  # sec NAME LOG WANT cmd...: at most WANT seconds, and never past the budget (less 15 s to collect).
  sec() {
    local name=$1 log=$2 want=$3 left; shift 3
    left=$(( DEADLINE - $(date +%s) - 15 )); [ "$left" -lt "$want" ] && want=$left
    if [ "$want" -lt 8 ]; then stamp "SKIP $name (out of budget)"; echo "SKIPPED $name: out of budget" >> "$log"; return 124; fi
    stamp "BEGIN $name (at most ${want}s)"
    timeout -k 5 "$want" "$@" > >(tee -a "$log") 2>&1
    local rc=$?; stamp "END $name rc=$rc"; return $rc
  }
  stamp "start: $(hostname) nproc=$(nproc) DEV=$DEV QUICK=$QUICK budget=${BUDGET}s"
  command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total,memory.used --format=csv

  tar -xJf "$B/dotnet-runtime.tar.xz" -C "$W" && tar -xJf "$B/apps.tar.xz" -C "$W" || { stamp "unpack failed"; return 2; }
  export DOTNET_ROOT=$W/dotnet PATH=$W/dotnet:$PATH DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
  export OMNI_SERVICES_DIR=$W/apps OMNI_CACHE_DIR=$W/cache
  A=$W/apps
  # Bring your own libtorch: a PyTorch installation's torch/lib, and its CUDA libraries (nvidia/*/lib).
  if [ -z "${TORCH_LIB:-}" ]; then
    local torch_dir site
    torch_dir=$(python3 -c 'import torch, os; print(os.path.dirname(torch.__file__))') || { stamp "no TORCH_LIB and no python torch"; return 2; }
    TORCH_LIB=$torch_dir/lib
    site=$(dirname "$torch_dir")
    export LD_LIBRARY_PATH=$TORCH_LIB:$(ls -d "$site"/nvidia/*/lib "$site"/nvidia/*/*/lib 2>/dev/null | tr '\n' ':')${LD_LIBRARY_PATH:-}
    python3 -c 'import torch; print("python torch", torch.__version__, "cuda", torch.version.cuda)'
  else
    export LD_LIBRARY_PATH=$TORCH_LIB:${LD_LIBRARY_PATH:-}
  fi
  echo "TORCH_LIB=$TORCH_LIB"

  local P=$OUT/probe.log
  { echo "## ldd -r libLibTorchSharp.so"; ldd -r "$A/ar-stage/libLibTorchSharp.so" 2>&1 | grep -E 'libtorch|libc10|not found|undefined' | head -40
    echo "undefined symbols: $(ldd -r "$A/ar-stage/libLibTorchSharp.so" 2>&1 | grep -c 'undefined symbol')"; } >> "$P"
  cat "$P"
  sec "gpu-probe" "$P" 90 dotnet "$A/bench/omni-bench.dll" gpu-probe --device "$DEV" --sizes "$([ "$QUICK" = 1 ] && echo 256 || echo 4096,8192)"
  if ! grep -q 'RESULT torchsharp matmul' "$P"; then stamp "TorchSharp did not compute on $DEV: see probe.log"; return 3; fi

  local E=$OUT/e2e.log UP n orchestrator video=false services=5
  # The video stage encodes with ffmpeg: with one on PATH it runs too (six services), else omni up leaves it out.
  if command -v ffmpeg >/dev/null 2>&1; then video=true; services=6; fi
  # Where the probe found the engine's decode graphs giving the eager tokens, the AR stages serve with them too
  # (Model:CudaGraphs, as --cuda-graphs): the whole service path with graphs, before they become the default on CUDA.
  local graphs=false
  grep -q 'RESULT cudagraph_engine .*graphs="on".*same_tokens=True' "$P" && graphs=true
  touch "$W/e2e.start"
  stamp "omni up --device $DEV --video $video (AR stages' CUDA graphs: $graphs)"
  Model__CudaGraphs=$graphs dotnet "$A/omni/omni.dll" up --device "$DEV" --video "$video" --json > "$W/up.jsonl" 2> "$W/up.err" &
  UP=$!
  n=0
  while [ $n -lt 150 ] && kill -0 $UP 2>/dev/null && [ "$(grep -c '"grpc"' "$W/up.jsonl")" -lt $services ]; do sleep 1; n=$((n + 1)); done
  cat "$W/up.jsonl" >> "$E"
  orchestrator=$(python3 -c "import json,sys; [print(d['grpc']) for d in map(json.loads, open(sys.argv[1])) if d['name']=='orchestrator']" "$W/up.jsonl")
  if [ -n "$orchestrator" ]; then
    mkdir -p "$W/out"
    sec "generate text+image+speech" "$E" 60 dotnet "$A/omni/omni.dll" generate --orchestrator "$orchestrator" --out "$W/out" \
      --outputs text image audio --audio "$W/out/speech.wav" --audio-max-duration 2 \
      $([ "$QUICK" = 1 ] && echo "--width 64 --height 64 --steps 2 --max-tokens 8")
    if [ "$video" = true ]; then
      sec "generate video" "$E" 60 dotnet "$A/omni/omni.dll" generate --orchestrator "$orchestrator" --out "$W/out" \
        --outputs video --video "$W/out/clip.mp4" \
        $([ "$QUICK" = 1 ] && echo "--video-frames 4 --video-size 64x64 --video-steps 2" || echo "--video-frames 16 --video-size 128x128")
    fi
    python3 - "$W/up.jsonl" > "$OUT/metrics.txt" 2>&1 <<'PY'
import json, sys, urllib.request
for d in map(json.loads, open(sys.argv[1])):
    print(f"##### {d['name']} stage {d['stage_id']} {d['metrics']}")
    try:
        print(urllib.request.urlopen(d['metrics'], timeout=10).read().decode())
    except Exception as e:
        print(f"SCRAPE FAILED: {e}")
PY
    ls -la "$W/out" >> "$E"
  else
    stamp "omni up did not come up: see e2e.log"
  fi
  kill -TERM $UP 2>/dev/null; for n in $(seq 1 15); do kill -0 $UP 2>/dev/null || break; sleep 1; done; kill -KILL $UP 2>/dev/null
  wait $UP 2>/dev/null; echo "omni up exit: $?" >> "$E"; cat "$W/up.err" >> "$E"
  # What the stages said of their warm-up (its time on this device) and the AR stages of their graphs (on, or off
  # and why), from the services' own logs.
  find "${TMPDIR:-/tmp}" -maxdepth 2 -path '*/omni-*' -name '*.log' -newer "$W/e2e.start" -exec grep -HE "CUDA graphs|Warmed up" {} + >> "$E" 2>/dev/null

  if [ "$QUICK" = 1 ]; then
    sec "bench ar" "$OUT/ar.md" 90 dotnet "$A/bench/omni-bench.dll" ar --device "$DEV" --models default --concurrency 1,8 --tokens 8 --rounds 1 \
      --soak-requests 0 --max-load 1000 --quiet-timeout 0 --warm-up-limit 1
    sec "bench diffusion" "$OUT/diffusion.md" 120 dotnet "$A/bench/omni-bench.dll" diffusion --device "$DEV" --batch-sizes 1,2 --width 64 --height 64 \
      --steps 2 --images 4 --rounds 1 --soak-requests 0 --max-load 1000 --quiet-timeout 0
    sec "bench ar varied" "$OUT/ar-varied.md" 60 dotnet "$A/bench/omni-bench.dll" ar --device "$DEV" --models default --concurrency 1,4 --tokens 4 \
      --rounds 1 --varied-prompts --soak-requests 0 --max-load 1000 --quiet-timeout 0 --warm-up-limit 1
    sec "bench ar host" "$OUT/ar-host.md" 45 dotnet "$A/bench/omni-bench.dll" ar --device "$DEV" --models host --concurrency 1,4 --tokens 4 \
      --rounds 1 --batch-invariant false --soak-requests 0 --max-load 1000 --quiet-timeout 0 --warm-up-limit 1
    sec "bench ar graphs" "$OUT/ar-graphs.md" 45 dotnet "$A/bench/omni-bench.dll" ar --device "$DEV" --models host --concurrency 1,4 --tokens 4 \
      --rounds 1 --batch-invariant false --cuda-graphs true --soak-requests 0 --max-load 1000 --quiet-timeout 0 --warm-up-limit 1
  else
    sec "bench ar" "$OUT/ar.md" 150 dotnet "$A/bench/omni-bench.dll" ar --device "$DEV" --models default,100m --concurrency 1,8,32,64 --tokens 64 \
      --rounds 3 --soak-requests 0 --max-load 1000 --quiet-timeout 0
    sec "bench diffusion" "$OUT/diffusion.md" 150 dotnet "$A/bench/omni-bench.dll" diffusion --device "$DEV" --batch-sizes 1,2,4,8 --width 256 \
      --height 256 --steps 20 --images 16 --rounds 3 --soak-requests 0 --max-load 1000 --quiet-timeout 0
    # A serving batch's lengths vary: the decode step with one attention call per layer, and its operator calls.
    sec "bench ar varied" "$OUT/ar-varied.md" 75 dotnet "$A/bench/omni-bench.dll" ar --device "$DEV" --models default --concurrency 1,64 --tokens 64 \
      --rounds 3 --varied-prompts --soak-requests 0 --max-load 1000 --quiet-timeout 0
    # The default model's operators at width 32: a decode step's time is what it costs the host (launches, dispatch).
    sec "bench ar host" "$OUT/ar-host.md" 60 dotnet "$A/bench/omni-bench.dll" ar --device "$DEV" --models host --concurrency 1,64 --tokens 64 \
      --rounds 3 --batch-invariant false --soak-requests 0 --max-load 1000 --quiet-timeout 0
    # The same with decode steps as CUDA graphs (--cuda-graphs): the default model and the host-cost one.
    sec "bench ar graphs" "$OUT/ar-graphs.md" 150 dotnet "$A/bench/omni-bench.dll" ar --device "$DEV" --models default,host --concurrency 1,8,32,64 \
      --tokens 64 --rounds 3 --batch-invariant false --cuda-graphs true --soak-requests 0 --max-load 1000 --quiet-timeout 0
  fi
  # The Hugging Face peer (transformers' eager generate()) on the checkpoints the benchmarks wrote, where this python has it.
  if python3 -c 'import torch, transformers' 2>/dev/null; then
    sec "hf peer" "$OUT/hf.md" 90 python3 "$B/hf-peer.py" --device "$DEV" --batches "$([ "$QUICK" = 1 ] && echo 1,4 || echo 1,8,32,64)" \
      --rounds "$([ "$QUICK" = 1 ] && echo 1 || echo 3)" default="$OMNI_CACHE_DIR/ar-default-v1" host="$OMNI_CACHE_DIR/ar-bench-host-v1"
  else
    stamp "SKIP hf peer: this python has no torch and transformers"; echo "SKIPPED hf peer: this python has no torch and transformers" >> "$OUT/hf.md"
  fi
  stamp "done: $(ls "$OUT" | tr '\n' ' ')"
}

case "${1:-run}" in
  bundle) shift; bundle "$@" ;;
  run) run ;;
  *) echo "usage: $0 bundle [DIR] | run" >&2; exit 2 ;;
esac
