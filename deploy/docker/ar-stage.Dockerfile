# Omni AR stage (TorchSharp language model, stage 0; with --builtin-model talker or a talker checkpoint, the talker,
# stage 2 of pipelines/speech.yaml) image. Build from the repository root:
#   docker build -f deploy/docker/ar-stage.Dockerfile -t omni/ar-stage:latest .
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
WORKDIR /app
COPY --from=build /out/ar-stage/ /app/
COPY deploy/docker/healthcheck.sh /usr/local/bin/omni-healthcheck
# The built-in model is written to a cache directory at start (OMNI_CACHE_DIR), writable by the app user here;
# with a read-only root file system mount a volume there (an emptyDir in Kubernetes). To serve a checkpoint,
# mount it and set Model__ModelDirectory.
COPY --from=build --chown=${APP_UID}:${APP_UID} /out/cache/ /var/cache/omni/
ENV OMNI_CACHE_DIR=/var/cache/omni \
    Model__Device=auto \
    Stage__StageId=0 \
    Stage__ReplicaId=0
# Ports by environment (Endpoints__*), which the health check reads; flags would bypass it. The base image's
# ASPNETCORE_HTTP_PORTS is cleared: the services bind their own two ports.
ENV ASPNETCORE_HTTP_PORTS= \
    Endpoints__Host=0.0.0.0 \
    Endpoints__GrpcPort=50061 \
    Endpoints__MetricsPort=9101
EXPOSE 50061 9101
USER ${APP_UID}
HEALTHCHECK --interval=10s --timeout=5s --start-period=120s --retries=3 CMD ["omni-healthcheck"]
ENTRYPOINT ["dotnet", "/app/Omni.ArStage.dll"]
