using Microsoft.Extensions.Options;
using Omni.Common.Hosting;
using Omni.Common.Transfers;

namespace Omni.Common.Stages;

/// <summary>What every stage service needs besides its engine: who it is, its load reports and both connectors' ends.</summary>
public sealed class StageHost(IOptions<StageIdentityOptions> identity, IOptions<TransferOptions> options, LoadReporter load, TransferRegistry transfers,
    TransferPeers peers, DirectTransferSender sender)
{
    public TransferOptions Options => options.Value;

    public TransferPeers Peers => peers;

    public StageIdentityOptions Identity => identity.Value;

    public LoadReporter Load => load;

    public TransferRegistry Transfers => transfers;

    public DirectTransferSender Sender => sender;
}
