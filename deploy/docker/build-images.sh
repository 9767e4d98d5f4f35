#!/usr/bin/env bash
# Builds the four Omni images from deploy/docker/*.Dockerfile, with the repository root as the build context.
#
# Usage: deploy/docker/build-images.sh [--offline] [--gpu] [--tag TAG] [--prefix PREFIX]
#   --offline   no container registry: first make local stand-ins for the .NET base images
#               (deploy/docker/build-base-images.sh: debootstrap + docker import), then build without pulling.
#   --gpu       also build the GPU variants of the stage images (TorchSharp-cuda-linux on a CUDA runtime base:
#               deploy/docker/cuda-runtime.Dockerfile), tagged TAG-cuda. Needs a registry for nvidia/cuda and a
#               NuGet feed that serves TorchSharp-cuda-linux.
#   --tag       image tag (default latest); --prefix: repository prefix (default omni/, e.g. registry.example/omni/)
# The build stage is shared: the first image builds it, the other three take it from Docker's layer cache.
# RUN steps use the host's network (--network host): NuGet restore needs it, and no bridge network is required.
set -euo pipefail
cd "$(dirname "$0")/../.."
export DOCKER_API_VERSION=${DOCKER_API_VERSION:-1.41}

offline=false gpu=false tag=latest prefix=omni/
while [ $# -gt 0 ]; do
  case "$1" in
    --offline) offline=true ;;
    --gpu) gpu=true ;;
    --tag) tag=$2; shift ;;
    --prefix) prefix=$2; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

pull=(--pull)
if $offline; then
  deploy/docker/build-base-images.sh
  pull=()
fi

build() { # name dockerfile-args...
  local name=$1; shift
  local started=$SECONDS
  echo "== ${prefix}${name}:${tag}"
  docker build --network host "${pull[@]}" -f "deploy/docker/${name%-cuda}.Dockerfile" -t "${prefix}${name}:${tag}" "$@" .
  echo "   built in $((SECONDS - started)) s"
  pull=()   # the base images are fresh after the first build
}

build orchestrator
build ar-stage
build diffusion-stage
build code2wav-stage

if $gpu; then
  docker build --network host --pull -f deploy/docker/cuda-runtime.Dockerfile -t "${prefix}dotnet-cuda-runtime:10.0" .
  for stage in ar-stage diffusion-stage code2wav-stage; do
    docker build --network host -f "deploy/docker/$stage.Dockerfile" -t "${prefix}${stage}:${tag}-cuda" \
      --build-arg TORCH_BACKEND=cuda --build-arg "RUNTIME_IMAGE=${prefix}dotnet-cuda-runtime:10.0" .
  done
fi
docker image ls --format '{{.Repository}}:{{.Tag}}  {{.Size}}' | grep -F "$prefix" || true
