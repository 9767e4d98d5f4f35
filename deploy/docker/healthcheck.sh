#!/usr/bin/env bash
# Container HEALTHCHECK for the Omni images: GET /healthz on the service's metrics port (HTTP/1.1) with bash's
# /dev/tcp, so the slim runtime images need no curl or wget. The port is Endpoints__MetricsPort (the images set
# it; override it by environment, not by --metrics-port, so that this probe follows). /healthz answers only once
# the service has started, and the stages load their model before their ports open, so "healthy" means "can
# serve". Kubernetes probes use the gRPC health service (grpc.health.v1) on the gRPC port instead.
set -u
port=${Endpoints__MetricsPort:-9090}
host=${OMNI_HEALTHCHECK_HOST:-127.0.0.1}
exec 3<>"/dev/tcp/$host/$port" || exit 1
printf 'GET /healthz HTTP/1.1\r\nHost: %s:%s\r\nConnection: close\r\n\r\n' "$host" "$port" >&3
read -r -t 5 status_line <&3 || exit 1
case "$status_line" in
  "HTTP/1.1 200"*) exit 0 ;;
  *) echo "unhealthy: $status_line" >&2; exit 1 ;;
esac
