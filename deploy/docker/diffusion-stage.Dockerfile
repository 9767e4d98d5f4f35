# Omni diffusion stage (TorchSharp DiT + decoder, stage 1; with --builtin-model video or a video checkpoint, the video
# stage, stage 4 of pipelines/omni.yaml, which encodes H.264/MP4 with the image's ffmpeg) image. Build from the
# repository root:
#   docker build -f deploy/docker/diffusion-stage.Dockerfile -t omni/diffusion-stage:latest .
# deploy/docker/build-images.sh builds all four images (and the GPU variants with --gpu); see docs/usage.md.
# Base images are build arguments: the official .NET images by default (Ubuntu 24.04). Without a registry,
# deploy/docker/build-base-images.sh makes local stand-ins under the same names (see docs/usage.md, "Deploy").
ARG SDK_IMAGE=mcr.microsoft.com/dotnet/sdk:10.0
ARG RUNTIME_IMAGE=mcr.microsoft.com/dotnet/aspnet:10.0

# ---------------------------------------------------------------------------------------------------------------
# build: publishes all four services in one SDK stage. This stage is byte-identical in orchestrator.Dockerfile,
# ar-stage.Dockerfile, diffusion-stage.Dockerfile and code2wav-stage.Dockerfile (a test checks it), so Docker's
# layer cache builds it once for all four images. TORCH_BACKEND=cuda publishes the stages against
# TorchSharp-cuda-linux (GPU images).
# ---------------------------------------------------------------------------------------------------------------
FROM ${SDK_IMAGE} AS build
ARG TORCH_BACKEND=cpu
ARG CONFIGURATION=Release
WORKDIR /src
# Restore first, from the project files only, so that a source change does not download the packages again.
COPY global.json Directory.Build.props Directory.Build.targets Directory.Packages.props .editorconfig ./
COPY build/ build/
COPY services/contracts/Omni.Contracts.csproj services/contracts/
COPY services/common/Omni.Common.csproj services/common/
COPY services/engine-common/Omni.Engine.Common.csproj services/engine-common/
COPY services/engine-torch/Omni.Engine.Torch.csproj services/engine-torch/
COPY services/orchestrator/Omni.Orchestrator.csproj services/orchestrator/
COPY services/ar-stage/Omni.ArStage.csproj services/ar-stage/
COPY services/ar-stage-engine/Omni.ArStage.Engine.csproj services/ar-stage-engine/
COPY services/diffusion-stage/Omni.DiffusionStage.csproj services/diffusion-stage/
COPY services/diffusion-stage-engine/Omni.DiffusionStage.Engine.csproj services/diffusion-stage-engine/
COPY services/code2wav-stage/Omni.Code2WavStage.csproj services/code2wav-stage/
COPY services/code2wav-stage-engine/Omni.Code2Wav.Engine.csproj services/code2wav-stage-engine/
RUN for project in orchestrator/Omni.Orchestrator ar-stage/Omni.ArStage diffusion-stage/Omni.DiffusionStage \
      code2wav-stage/Omni.Code2WavStage; do \
      dotnet restore "services/$project.csproj" -r linux-x64 -p:TorchBackend=${TORCH_BACKEND} || exit 1; \
    done
COPY protos/ protos/
COPY services/ services/
# build/TorchNativeFix.targets runs after publish: it marks libLibTorchSharp.so's GLIBCXX_3.4.32 requirement weak
# only when this stage's libstdc++ lacks that version (Debian 12 stand-ins), never on Ubuntu 24.04. The build
# outputs (GBs, libtorch copied once per stage) are deleted in the same step so that they never land in a layer.
RUN for service in orchestrator:Omni.Orchestrator ar-stage:Omni.ArStage diffusion-stage:Omni.DiffusionStage \
      code2wav-stage:Omni.Code2WavStage; do \
      dir=${service%%:*}; name=${service##*:}; \
      dotnet publish "services/$dir/$name.csproj" --no-restore -c ${CONFIGURATION} -r linux-x64 --self-contained false \
        -p:UseAppHost=false -p:TorchBackend=${TORCH_BACKEND} -p:DebugType=none -o "/out/$dir" -v q -nologo || exit 1; \
    done \
 && rm -rf services/*/bin services/*/obj \
 && mkdir -p /out/cache

# ---------------------------------------------------------------------------------------------------------------
# runtime: the ASP.NET Core runtime image, the published service, a non-root user.
# ---------------------------------------------------------------------------------------------------------------
FROM ${RUNTIME_IMAGE} AS runtime
# The official images' non-root user (app, uid 1654), numeric so that Kubernetes' runAsNonRoot can verify it.
ARG APP_UID=1654
# ffmpeg, which the video stage runs (found on PATH) to encode H.264 (libx264) into MP4: the distribution's package
# (Debian 12 in the offline stand-ins, Ubuntu 24.04 in the official and CUDA images), first in the runtime stage so
# that the layer depends on the base image alone and stays cached across code changes. Kept small: no recommended
# packages, no apt lists, docs (but copyrights), man pages or translations, and none of Mesa's DRI drivers and the
# LLVM and Z3 libraries only they link (libavdevice's libgl1 pulls in Mesa; a headless encoder never opens an OpenGL
# context: ~190 MB of the ~520 MB on Debian 12). The build checks that ffmpeg loads every library and encodes H.264
# into MP4.
RUN printf '%s\n' 'path-exclude=/usr/share/doc/*' 'path-include=/usr/share/doc/*/copyright' 'path-exclude=/usr/share/man/*' \
      'path-exclude=/usr/share/locale/*' 'path-exclude=/usr/lib/*/dri/*' 'path-exclude=/usr/lib/*/libLLVM*' \
      'path-exclude=/usr/lib/*/libz3.so*' >/etc/dpkg/dpkg.cfg.d/omni-ffmpeg \
 && apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ffmpeg \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb /var/log/apt /var/log/dpkg.log /etc/dpkg/dpkg.cfg.d/omni-ffmpeg \
 && ! ldd "$(command -v ffmpeg)" | grep 'not found' \
 && ffmpeg -hide_banner -loglevel error -f lavfi -i testsrc=size=64x64:rate=4 -frames:v 4 -c:v libx264 -pix_fmt yuv420p \
      -movflags frag_keyframe+empty_moov -y /tmp/probe.mp4 \
 && [ "$(ffprobe -v error -count_frames -show_entries stream=codec_name,nb_read_frames -of csv=p=0 /tmp/probe.mp4)" = "h264,4" ] \
 && rm /tmp/probe.mp4
WORKDIR /app
COPY --from=build /out/diffusion-stage/ /app/
COPY deploy/docker/healthcheck.sh /usr/local/bin/omni-healthcheck
# The built-in model is written to a cache directory at start (OMNI_CACHE_DIR), writable by the app user here;
# with a read-only root file system mount a volume there (an emptyDir in Kubernetes). To serve a checkpoint,
# mount it and set Model__ModelDirectory.
COPY --from=build --chown=${APP_UID}:${APP_UID} /out/cache/ /var/cache/omni/
ENV OMNI_CACHE_DIR=/var/cache/omni \
    Model__Device=auto \
    Stage__StageId=1 \
    Stage__ReplicaId=0
# Ports by environment (Endpoints__*), which the health check reads; flags would bypass it. The base image's
# ASPNETCORE_HTTP_PORTS is cleared: the services bind their own two ports.
ENV ASPNETCORE_HTTP_PORTS= \
    Endpoints__Host=0.0.0.0 \
    Endpoints__GrpcPort=50062 \
    Endpoints__MetricsPort=9102
EXPOSE 50062 9102
USER ${APP_UID}
HEALTHCHECK --interval=10s --timeout=5s --start-period=120s --retries=3 CMD ["omni-healthcheck"]
ENTRYPOINT ["dotnet", "/app/Omni.DiffusionStage.dll"]
