using Grpc.Core;
using Microsoft.Extensions.Options;
using Omni.Common.Payloads;
using Omni.Common.Transfers;
using Omni.Contracts.V1;

namespace Omni.Common.Tests;

public sealed class StageInputReaderTests
{
    [Fact]
    public async Task StreamAsync_ChunkAfterTheLast_InvalidArgumentAfterTheRows()
    {
        var writer = new StreamedTensorWriter("codes", DataType.Int32, []);
        var last = writer.Finish(new byte[8]);
        var header = new StageRequest { Inputs = { "codes" } };
        using var registry = new TransferRegistry(Options.Create(new TransferOptions()));
        var rows = 0;

        var error = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            await foreach (var _ in StageInputReader.StreamAsync(header, new Inputs([last, last.Clone()]), registry, 1 << 20, TimeSpan.FromSeconds(10), [],
                CancellationToken.None))
            {
                rows++;
            }
        });

        Assert.Equal((1, StatusCode.InvalidArgument), (rows, error.StatusCode));
    }

    /// <summary>A call's request stream after its header: these chunks, then its end.</summary>
    private sealed class Inputs(IReadOnlyList<TensorChunk> chunks) : IAsyncStreamReader<StageInput>
    {
        private int _next = -1;

        public StageInput Current => new() { Chunk = chunks[_next] };

        public Task<bool> MoveNext(CancellationToken cancellationToken) => Task.FromResult(++_next < chunks.Count);
    }
}
