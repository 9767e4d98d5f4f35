using Grpc.Core;
using Omni.Common.Tracing;
using Omni.Common.Transfers;
using Omni.Common.Validation;
using Omni.Contracts.V1;

namespace Omni.Common.Stages;

/// <summary>
/// The stage contract's shared half: GetInfo, WatchLoad, PushTransfer (the direct connector's receiving end) and the
/// header checks of Process. A stage service derives from it, gets its engine through its own constructor, and
/// implements <see cref="ProcessAsync"/> for its kind.
/// </summary>
public abstract class StageServiceBase(StageHost host) : Stage.StageBase
{
    protected StageHost Host => host;

    /// <summary>What this replica is and the names it consumes and produces.</summary>
    protected abstract StageDescription Description { get; }

    public override Task<StageInfo> GetInfo(GetInfoRequest request, ServerCallContext context)
    {
        var description = Description;
        var info = new StageInfo
        {
            Kind = description.Kind,
            StageId = (uint)host.Identity.StageId,
            ReplicaId = (uint)host.Identity.ReplicaId,
            ModelName = description.ModelName,
            HiddenSize = (uint)description.HiddenSize,
            Device = description.Device,
            ChatTemplate = description.ChatTemplate,
        };
        info.Inputs.AddRange(description.Inputs);
        info.Outputs.AddRange(description.Outputs);
        return Task.FromResult(info);
    }

    public override Task WatchLoad(WatchLoadRequest request, IServerStreamWriter<LoadReport> responseStream, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return StageOutputSender.WatchLoadAsync(host.Load, responseStream, context.CancellationToken);
    }

    public override Task PushTransfer(IAsyncStreamReader<TransferMessage> requestStream, IServerStreamWriter<TransferAck> responseStream,
        ServerCallContext context) =>
        DirectTransferEndpoint.HandlePushAsync(host.Transfers, requestStream, responseStream, context);

    public override async Task Process(IAsyncStreamReader<StageInput> requestStream, IServerStreamWriter<StageOutput> responseStream,
        ServerCallContext context)
    {
        var header = await StageHeader.ReadAsync(requestStream, context).ConfigureAwait(false);
        CheckNames(header);
        await CheckTargetsAsync(header, context.CancellationToken).ConfigureAwait(false);
        var description = Description;
        using var span = OmniTrace.Source.StartActivity($"{description.Kind}.process");
        span?.SetTag(OmniTrace.ModelName, description.ModelName)
            .SetTag(OmniTrace.StageKind, description.Kind)
            .SetTag(OmniTrace.StageId, host.Identity.StageId)
            .SetTag(OmniTrace.ReplicaId, host.Identity.ReplicaId)
            .SetTag(OmniTrace.RequestId, header.RequestId);
        try
        {
            await ProcessAsync(new StageCall(header, requestStream, responseStream, context, host)).ConfigureAwait(false);
        }
        catch (Exception error)
        {
            span?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, error.Message);
            throw;
        }
    }

    /// <summary>Runs one call whose header names only inputs and outputs this kind knows.</summary>
    protected abstract Task ProcessAsync(StageCall call);

    /// <summary>A stage pushes only to its configured peers, never to an address only a request names.</summary>
    private async Task CheckTargetsAsync(StageRequest header, CancellationToken cancellationToken)
    {
        for (var i = 0; i < header.ForwardTo.Count; i++)
        {
            if (!await host.Peers.AllowsAsync(header.ForwardTo[i].Address, cancellationToken).ConfigureAwait(false))
            {
                throw new RpcException(new Status(StatusCode.PermissionDenied,
                    $"forward_to[{i}].address '{header.ForwardTo[i].Address}' is not one of this stage's transfer peers (--transfer-peers)."));
            }
        }
    }

    private void CheckNames(StageRequest header)
    {
        var description = Description;
        Check("inputs", header.Inputs, description.Inputs, "inputs");
        Check("outputs", header.Outputs, description.Outputs, "outputs");
        for (var i = 0; i < header.ForwardTo.Count; i++)
        {
            var target = header.ForwardTo[i];
            Check($"forward_to[{i}].tensors", target.Tensors, description.Outputs, "outputs");
            if (string.IsNullOrEmpty(target.Address) || string.IsNullOrEmpty(target.TransferId))
            {
                throw RequestValidator.Invalid($"forward_to[{i}]", "must name an address and a transfer_id");
            }
        }
        if (header.Outputs.Count == 0 && header.ForwardTo.Count == 0)
        {
            throw RequestValidator.Invalid("outputs", $"must name at least one output ({string.Join(", ", description.Outputs)})");
        }

        void Check(string field, IEnumerable<string> names, IReadOnlyList<string> known, string what)
        {
            foreach (var name in names)
            {
                if (!known.Contains(name))
                {
                    throw RequestValidator.Invalid(field, $"'{name}' is not one of the {what} of a {description.Kind} stage ({string.Join(", ", known)})");
                }
            }
        }
    }
}
