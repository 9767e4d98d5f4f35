#!/usr/bin/env bash
# Validates every deployment artifact offline; CI runs it from .ci/run. Needs node + npm, kubectl (for
# `kubectl kustomize`), promtool (Debian package prometheus), docker-compose (Debian package docker-compose) and openssl.
#   deploy/validate/validate.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
step() { printf '== %s\n' "$*"; }
started=$SECONDS

step "npm ci (kubernetes-models, prometheus-operator models, yaml, typescript)"
(cd deploy/validate && npm ci --no-audit --no-fund --loglevel=error >/dev/null)

step "kubectl kustomize + schemas + field names + cross-references (k8s/overlays/cpu, k8s/overlays/gpu, k8s/overlays/cpu-tls)"
node deploy/validate/validate-manifests.mjs

step "promtool check rules / test rules / check config"
promtool check rules deploy/prometheus/rules/omni-rules.yml
promtool test rules deploy/prometheus/rules/omni-rules.test.yml
promtool check config deploy/prometheus/prometheus.yml

step "Grafana dashboard and rules against the metric catalog"
node deploy/validate/check-observability.mjs

step "docker-compose config -q (docker-compose.yml, + docker-compose.gpu.yml, + docker-compose.tls.yml)"
docker-compose -f docker-compose.yml config -q
docker-compose -f docker-compose.yml -f docker-compose.gpu.yml config -q
docker-compose -f docker-compose.yml -f docker-compose.tls.yml config -q

step "deploy/tls/make-certs.sh (the compose TLS certificates: a chain that verifies, server and client use)"
certs=$(mktemp -d)
deploy/tls/make-certs.sh "$certs" >/dev/null
openssl verify -CAfile "$certs/ca.crt" "$certs/tls.crt" >/dev/null
openssl x509 -in "$certs/tls.crt" -noout -ext extendedKeyUsage | grep -q "TLS Web Client Authentication"
rm -rf "$certs"

echo "deployment validation passed in $((SECONDS - started)) s"
