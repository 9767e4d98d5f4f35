#!/usr/bin/env bash
# Validates every deployment artifact offline; CI runs it from .ci/run. Needs node + npm, kubectl (for
# `kubectl kustomize`), promtool (Debian package prometheus) and docker-compose (Debian package docker-compose).
#   deploy/validate/validate.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
step() { printf '== %s\n' "$*"; }
started=$SECONDS

step "npm ci (kubernetes-models, prometheus-operator models, yaml, typescript)"
(cd deploy/validate && npm ci --no-audit --no-fund --loglevel=error >/dev/null)

step "kubectl kustomize + schemas + field names + cross-references (k8s/overlays/cpu, k8s/overlays/gpu)"
node deploy/validate/validate-manifests.mjs

step "promtool check rules / test rules / check config"
promtool check rules deploy/prometheus/rules/omni-rules.yml
promtool test rules deploy/prometheus/rules/omni-rules.test.yml
promtool check config deploy/prometheus/prometheus.yml

step "Grafana dashboard and rules against the metric catalog"
node deploy/validate/check-observability.mjs

step "docker-compose config -q (docker-compose.yml, + docker-compose.gpu.yml)"
docker-compose -f docker-compose.yml config -q
docker-compose -f docker-compose.yml -f docker-compose.gpu.yml config -q

echo "deployment validation passed in $((SECONDS - started)) s"
