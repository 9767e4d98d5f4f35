#!/usr/bin/env bash
# Runs the whole test suite (unit + integration) and ends with one line: "N passed, N failed, N skipped".
# Needs the .NET SDK and Node.js; installs promtool (Debian package prometheus), python3-prometheus-client, sox,
# opus-tools and ffmpeg when they are missing and apt can, and the OpenAI npm client the HTTP door's tests use.
set -uo pipefail
cd "$(dirname "$0")/.."

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

if ! command -v promtool >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing promtool (Debian package prometheus) for the metric tests ..."
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null
  else
    echo "promtool is missing: install the 'prometheus' package (it provides promtool) to run the metric tests." >&2
  fi
fi

# The exposition tests read /metrics back with the reference client's parsers (Debian's python3-prometheus-client).
if ! /usr/bin/python3 -c "import prometheus_client" >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing python3-prometheus-client for the exposition tests ..."
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3 python3-prometheus-client >/dev/null
  else
    echo "python3-prometheus-client is missing: install it (Debian package) to run the exposition tests." >&2
  fi
fi

# The audio encoding tests read WAV and Ogg Opus back with real decoders (Debian's sox and opus-tools).
if ! command -v sox >/dev/null 2>&1 || ! command -v opusdec >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing sox and opus-tools for the audio tests ..."
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends sox opus-tools >/dev/null
  else
    echo "sox or opus-tools is missing: install them (Debian packages) to run the audio tests." >&2
  fi
fi

# The video stage encodes H.264/MP4 by running ffmpeg (found on PATH); the video tests read the MP4 back with ffprobe.
if ! command -v ffmpeg >/dev/null 2>&1 || ! command -v ffprobe >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing ffmpeg (ffmpeg, ffprobe) for the video stage and its tests ..."
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ffmpeg >/dev/null
  else
    echo "ffmpeg or ffprobe is missing: install ffmpeg (Debian package, with libx264) to run the video stage and its tests." >&2
  fi
fi

# The HTTP door's tests drive it with the official OpenAI npm client, pinned in tests/openai-node.
if [ ! -d tests/openai-node/node_modules/openai ]; then
  if command -v npm >/dev/null 2>&1; then
    echo "Installing the OpenAI npm client for the HTTP door's tests ..."
    (cd tests/openai-node && npm ci --no-audit --no-fund --loglevel=error)
  else
    echo "npm is missing: install Node.js (20 or later) to run the HTTP door's tests with the official OpenAI client." >&2
  fi
fi

results=artifacts/test-results
rm -rf "$results"
mkdir -p "$results"

dotnet build Omni.sln -c Debug -v q -nologo || { echo "0 passed, 1 failed"; exit 1; }
# The container tests start the whole pipeline as seven containers; they run alone, after the rest, because beside
# the other suites' pipelines a 2-core machine leaves their replicas silent for seconds at a time and the
# orchestrator rightly takes a replica that long silent as frozen. The GPU check's CPU rehearsal (it publishes six
# apps, then starts the pipeline from that bundle) runs with them, so that its compiling loads no other suite.
containers="FullyQualifiedName~Omni.DeploymentTests.ContainerPipelineTests|FullyQualifiedName~Omni.DeploymentTests.GpuCheckRehearsalTests"
dotnet test Omni.sln -c Debug --no-build --results-directory "$results" --logger trx --logger "console;verbosity=normal" \
  --filter "FullyQualifiedName!~Omni.DeploymentTests.ContainerPipelineTests&FullyQualifiedName!~Omni.DeploymentTests.GpuCheckRehearsalTests" \
  -- RunConfiguration.TestSessionTimeout=1500000
status=$?
dotnet test tests/Omni.DeploymentTests -c Debug --no-build --results-directory "$results" --logger trx --logger "console;verbosity=normal" \
  --filter "$containers" -- RunConfiguration.TestSessionTimeout=900000
container_status=$?
[ "$status" -ne 0 ] || status=$container_status

passed=0; failed=0; skipped=0
for trx in "$results"/*.trx; do
  [ -e "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
  value() { echo "$counters" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*'; }
  passed=$((passed + $(value passed)))
  failed=$((failed + $(value failed) + $(value error) + $(value timeout) + $(value aborted)))
  skipped=$((skipped + $(value notExecuted)))
done
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  failed=1  # the run itself failed (a crash or a project that did not run)
fi
# The names and first lines of the failures again at the end, where a CI log's tail shows them.
for trx in "$results"/*.trx; do
  [ -e "$trx" ] || continue
  /usr/bin/python3 - "$trx" <<'PY' || true
import sys, xml.etree.ElementTree as ET
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
for r in ET.parse(sys.argv[1]).getroot().iterfind(".//t:UnitTestResult", ns):
    if r.get("outcome") in ("Failed", "Error", "Timeout", "Aborted"):
        message = r.findtext(".//t:ErrorInfo/t:Message", default="", namespaces=ns).strip().splitlines()
        print(f"FAILED {r.get('testName')}: {' | '.join(message[:6])[:600]}")
PY
done
echo "$passed passed, $failed failed, $skipped skipped"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ]
