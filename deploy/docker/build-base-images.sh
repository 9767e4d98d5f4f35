#!/usr/bin/env bash
# Builds local stand-ins for the official .NET base images without any container registry:
#   debootstrap (Debian 12 minbase) -> docker import, with this machine's .NET installation copied in,
#   tagged with the names the Dockerfiles' FROM lines use by default:
#     mcr.microsoft.com/dotnet/sdk:10.0      rootfs + the whole /usr/share/dotnet (SDK, packs, runtimes)
#     mcr.microsoft.com/dotnet/aspnet:10.0   rootfs + the .NET and ASP.NET Core runtimes only, user app (1654)
# Both carry the label org.omni.base=local-substitute so that they are never mistaken for the official images.
# They hold only what every image needs (--include below); a package one image alone needs is installed by its
# Dockerfile from the stand-in's apt source (DEBIAN_MIRROR, bookworm main), as the official images do from Ubuntu's:
# ffmpeg, for the video stage, in diffusion-stage.Dockerfile (whose build then needs the mirror, as restore needs NuGet).
# Where a registry is reachable you do not need this: the Dockerfiles pull the official images.
#
# Usage: deploy/docker/build-base-images.sh [--force]
#   --force            rebuild even when both images already exist
# Environment: DOTNET_ROOT (default: the directory of `dotnet`), OMNI_ROOTFS_CACHE (default /var/cache/omni-rootfs),
#   DEBIAN_MIRROR (default http://deb.debian.org/debian), SDK_IMAGE / RUNTIME_IMAGE (tags to produce).
set -euo pipefail

SDK_IMAGE=${SDK_IMAGE:-mcr.microsoft.com/dotnet/sdk:10.0}
RUNTIME_IMAGE=${RUNTIME_IMAGE:-mcr.microsoft.com/dotnet/aspnet:10.0}
ROOTFS_CACHE=${OMNI_ROOTFS_CACHE:-/var/cache/omni-rootfs}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
export DOCKER_API_VERSION=${DOCKER_API_VERSION:-1.41}
force=false
[ "${1:-}" = "--force" ] && force=true

if [ -z "${DOTNET_ROOT:-}" ]; then
  DOTNET_ROOT=$(dirname "$(readlink -f "$(command -v dotnet)")")
fi
[ -x "$DOTNET_ROOT/dotnet" ] || { echo "no .NET installation at $DOTNET_ROOT" >&2; exit 1; }
docker version >/dev/null || { echo "no Docker engine answers (start dockerd first)" >&2; exit 1; }

have() { docker image inspect "$1" >/dev/null 2>&1; }
if ! $force && have "$SDK_IMAGE" && have "$RUNTIME_IMAGE"; then
  echo "base images present: $SDK_IMAGE, $RUNTIME_IMAGE (--force rebuilds)"
  exit 0
fi

rootfs="$ROOTFS_CACHE/bookworm"
if [ ! -e "$rootfs/.omni-complete" ]; then
  command -v debootstrap >/dev/null || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null; }
  rm -rf "$rootfs"
  mkdir -p "$rootfs"
  echo "debootstrap bookworm -> $rootfs"
  # ca-certificates: NuGet over HTTPS in the SDK stage; libssl3/libicu72/zlib1g: .NET's native dependencies.
  debootstrap --variant=minbase --include=ca-certificates,libssl3,libicu72,zlib1g,tzdata \
    bookworm "$rootfs" "$MIRROR" >"$ROOTFS_CACHE/debootstrap.log" 2>&1 \
    || { tail -20 "$ROOTFS_CACHE/debootstrap.log" >&2; exit 1; }
  chroot "$rootfs" apt-get clean
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/log/*.log
  # The official images' non-root user: app, uid/gid 1654 (APP_UID).
  grep -q '^app:' "$rootfs/etc/group" || echo 'app:x:1654:' >>"$rootfs/etc/group"
  grep -q '^app:' "$rootfs/etc/passwd" || echo 'app:x:1654:1654::/home/app:/usr/sbin/nologin' >>"$rootfs/etc/passwd"
  mkdir -p "$rootfs/home/app" && chown 1654:1654 "$rootfs/home/app"
  ln -sf /usr/share/dotnet/dotnet "$rootfs/usr/bin/dotnet"
  touch "$rootfs/.omni-complete"
fi

env_changes=(
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
  --change 'ENV DOTNET_ROOT=/usr/share/dotnet'
  --change 'ENV DOTNET_RUNNING_IN_CONTAINER=true'
  --change 'ENV APP_UID=1654'
  --change 'LABEL org.omni.base=local-substitute'
)
# Paths inside the tar stream: the rootfs, then usr/share/dotnet from this machine (parent dirs exist in the rootfs).
dotnet_parent=$(dirname "$DOTNET_ROOT")
dotnet_name=$(basename "$DOTNET_ROOT")
transform="s,^$dotnet_name,usr/share/dotnet,"

echo "importing $RUNTIME_IMAGE"
tar --exclude=./.omni-complete -C "$rootfs" -cf - . \
  -C "$dotnet_parent" --transform "$transform" \
  "$dotnet_name/dotnet" "$dotnet_name/host" "$dotnet_name/shared" "$dotnet_name/LICENSE.txt" \
  | docker import "${env_changes[@]}" --change 'ENV ASPNETCORE_HTTP_PORTS=8080' --change 'WORKDIR /app' - "$RUNTIME_IMAGE" >/dev/null

# The SDK stand-in restores from NuGet, so it trusts what this machine trusts: this machine's CA bundle replaces
# the rootfs's (a TLS-intercepting egress proxy's CA is in the former only), and NuGet's revocation checks stay
# offline as on this machine.
ca_bundle=${CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}
echo "importing $SDK_IMAGE"
tar --exclude=./.omni-complete --exclude=./etc/ssl/certs/ca-certificates.crt -C "$rootfs" -cf - . \
  -C "$dotnet_parent" --transform "$transform" "$dotnet_name" \
  -C "$(dirname "$ca_bundle")" --transform "s,^$(basename "$ca_bundle")\$,etc/ssl/certs/ca-certificates.crt," "$(basename "$ca_bundle")" \
  | docker import "${env_changes[@]}" --change 'ENV DOTNET_CLI_TELEMETRY_OPTOUT=1' --change 'ENV DOTNET_NOLOGO=1' \
      --change 'ENV DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1' --change 'ENV NUGET_XMLDOC_MODE=skip' \
      --change "ENV NUGET_CERT_REVOCATION_MODE=${NUGET_CERT_REVOCATION_MODE:-online}" - "$SDK_IMAGE" >/dev/null

docker image ls --format '{{.Repository}}:{{.Tag}}  {{.Size}}' | grep -F -e "$SDK_IMAGE" -e "$RUNTIME_IMAGE"
