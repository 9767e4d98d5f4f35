# Runtime base for the GPU variants of the stage images: NVIDIA's CUDA runtime image (Ubuntu 24.04) with the
# ASP.NET Core runtime copied in from the official .NET image and the same non-root user (app, 1654).
#   docker build -f deploy/docker/cuda-runtime.Dockerfile -t omni/dotnet-cuda-runtime:10.0 .
#   docker build -f deploy/docker/ar-stage.Dockerfile --build-arg TORCH_BACKEND=cuda \
#     --build-arg RUNTIME_IMAGE=omni/dotnet-cuda-runtime:10.0 -t omni/ar-stage:latest-cuda .
# TorchSharp-cuda-linux 0.107 brings libtorch 2.10 built for CUDA 12.8 (its own cuBLAS/cuDNN); the host needs an
# NVIDIA driver for CUDA 12.8 and the NVIDIA container toolkit (docker --gpus, or the Kubernetes device plugin).
ARG CUDA_IMAGE=nvidia/cuda:12.8.1-runtime-ubuntu24.04
ARG DOTNET_IMAGE=mcr.microsoft.com/dotnet/aspnet:10.0

FROM ${DOTNET_IMAGE} AS dotnet

FROM ${CUDA_IMAGE}
COPY --from=dotnet /usr/share/dotnet /usr/share/dotnet
RUN ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet \
 && apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates libicu74 libssl3t64 zlib1g tzdata \
 && rm -rf /var/lib/apt/lists/* \
 && (getent group 1654 >/dev/null || groupadd --gid 1654 app) \
 && (getent passwd 1654 >/dev/null || useradd --uid 1654 --gid 1654 --create-home --shell /usr/sbin/nologin app)
ENV DOTNET_ROOT=/usr/share/dotnet \
    DOTNET_RUNNING_IN_CONTAINER=true \
    APP_UID=1654 \
    NVIDIA_VISIBLE_DEVICES=all \
    NVIDIA_DRIVER_CAPABILITIES=compute,utility
WORKDIR /app
