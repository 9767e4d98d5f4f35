#!/usr/bin/env bash
# Starts a Docker engine for the image builds and the Testcontainers tests when none answers, the way CI needs it:
# no default bridge (so no 172.x network exists: every container and build uses --network host on 127.0.0.1),
# no iptables changes. Installs docker.io first when dockerd is missing (Debian, as root).
#   deploy/docker/start-dockerd.sh          (log: /tmp/omni-dockerd.log)
set -euo pipefail
export DOCKER_API_VERSION=${DOCKER_API_VERSION:-1.41}
if docker version >/dev/null 2>&1; then
  echo "Docker engine already running: $(docker version --format '{{.Server.Version}}' 2>/dev/null)"
  exit 0
fi
if ! command -v dockerd >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker.io >/dev/null
fi
nohup dockerd --bridge=none --iptables=false --ip-forward=false --ip-masq=false >/tmp/omni-dockerd.log 2>&1 &
for _ in $(seq 1 60); do
  if docker version >/dev/null 2>&1; then
    echo "Docker engine started: $(docker version --format '{{.Server.Version}}')"
    exit 0
  fi
  sleep 0.5
done
echo "dockerd did not start; last log lines:" >&2
tail -20 /tmp/omni-dockerd.log >&2
exit 1
