#!/usr/bin/env bash
# Makes a deployment CA and one certificate signed by it for docker compose with TLS (docker-compose.tls.yml):
#   deploy/tls/make-certs.sh [OUT_DIR]          (default deploy/tls/out: ca.crt, tls.crt, tls.key)
# The certificate serves every gRPC port and the HTTP API, and is the client certificate each service presents to
# the others (mutual TLS; extended key usage serverAuth and clientAuth). Services trust a peer whose certificate
# chains to ca.crt; host names are not checked (docs/usage.md, "Security"), but the certificate names the compose
# services and localhost for clients that check them. In Kubernetes, cert-manager issues the same layout instead.
set -euo pipefail
out=${1:-"$(dirname "$0")/out"}
days=${OMNI_TLS_DAYS:-365}
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

openssl req -x509 -newkey rsa:3072 -nodes -days "$days" -subj "/CN=omni-deployment-ca" \
  -keyout "$work/ca.key" -out "$out/ca.crt" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
openssl req -newkey rsa:3072 -nodes -subj "/CN=omni" -keyout "$out/tls.key" -out "$work/tls.csr" 2>/dev/null
cat > "$work/ext.cnf" <<'EXT'
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth,clientAuth
subjectAltName=DNS:orchestrator,DNS:ar-0,DNS:ar-1,DNS:diffusion-0,DNS:talker-0,DNS:code2wav-0,DNS:video-0,DNS:localhost,IP:127.0.0.1
EXT
openssl x509 -req -in "$work/tls.csr" -CA "$out/ca.crt" -CAkey "$work/ca.key" -CAcreateserial -days "$days" \
  -extfile "$work/ext.cnf" -out "$out/tls.crt" 2>/dev/null
# The services run as uid 1654 in their images and read the key through a bind mount.
chmod 0644 "$out/tls.key" "$out/tls.crt" "$out/ca.crt"
openssl verify -CAfile "$out/ca.crt" "$out/tls.crt" >/dev/null
echo "wrote $out/ca.crt, $out/tls.crt, $out/tls.key (valid $days days)"
