using Omni.ArStage.Model;
using Omni.ArStage.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace Omni.ArStage.Tests;

/// <summary>
/// Without batch invariance (as on CUDA) each layer computes q/k/v in one product and gate/up in another, from fused
/// weights whose views are the checkpoint-named parameters: fewer launches, the same model.
/// </summary>
public sealed class FusedProjectionTests
{
    private const int BlockSize = 4;

    // Per decoder layer, the tensors a decode step creates without batch invariance (about one per operator call).
    private const int OperationsPerLayer = 21;

    [Fact]
    public void FuseProjections_SameParameterNamesShapesAndValues()
    {
        using var model = TestModels.CreateSeeded(TestModels.SmallQwen2(), seed: 5);
        var before = model.named_parameters().Select(p => (p.name, p.parameter.clone())).ToList();

        model.FuseProjections();

        var after = model.named_parameters().ToList();
        Assert.Equal(before.Select(p => p.name), after.Select(p => p.name));
        Assert.All(before.Zip(after), pair => Assert.True(pair.First.Item2.equal(pair.Second.parameter).all().item<bool>(), pair.First.name));
    }

    [Fact]
    public void Forward_FusedProjections_MatchSeparateOnes()
    {
        using var separate = TestModels.CreateSeeded(TestModels.SmallQwen2(), seed: 6);
        using var fused = TestModels.CreateSeeded(TestModels.SmallQwen2(), seed: 6);
        fused.FuseProjections();

        var (expected, actual) = (DecodeLogits(separate), DecodeLogits(fused));

        Assert.True(TestModels.MaxAbsDifference(expected, actual) < 1e-5, $"max |difference| {TestModels.MaxAbsDifference(expected, actual)}");
    }

    [Fact]
    public void Forward_DecodeWithoutBatchInvariance_WithinTheLayersOperationBudget()
    {
        Assert.InRange(ForwardOperations(layers: 2) - ForwardOperations(layers: 1), 1, OperationsPerLayer);
    }

    // Logits of a step that decodes three sequences of different lengths, after their prefill, without batch invariance.
    private static float[,] DecodeLogits(CausalLanguageModel model)
    {
        using var scope = NewDisposeScope();
        using var inference = inference_mode();
        using var pool = new KvBlockPool(model.Config, 32, BlockSize, ScalarType.Float32, CPU);
        var sequences = new[] { (Ids: Ids(37, 1), Table: Table(37, 0)), (Ids: Ids(5, 2), Table: Table(5, 10)), (Ids: Ids(20, 3), Table: Table(20, 12)) };
        model.call(ForwardBatch.Create([.. sequences.Select(s => new ScheduledChunk(s.Ids, 0, s.Ids.Length - 1, s.Table))], BlockSize, CPU, false), pool);
        var batch = ForwardBatch.Create([.. sequences.Select(s => new ScheduledChunk(s.Ids, s.Ids.Length - 1, 1, s.Table))], BlockSize, CPU, false);
        return TestModels.ToMatrix(model.Logits(model.call(batch, pool), batchInvariant: false));
    }

    private static long ForwardOperations(int layers)
    {
        using var model = TestModels.CreateSeeded(TestModels.SmallQwen2() with { NumHiddenLayers = layers }, seed: 7);
        model.FuseProjections();
        using var scope = NewDisposeScope();
        using var inference = inference_mode();
        using var pool = new KvBlockPool(model.Config, 32, BlockSize, ScalarType.Float32, CPU, keysBesideValues: true);
        var ids = Ids(20, 1);
        model.call(ForwardBatch.Create([new ScheduledChunk(ids, 0, 19, Table(20, 0))], BlockSize, CPU, false), pool);
        var batch = ForwardBatch.Create([new ScheduledChunk(ids, 19, 1, Table(20, 0))], BlockSize, CPU, false);
        var before = Created();
        model.call(batch, pool);
        return Created() - before;
    }

    private static long Created() =>
        DisposeScopeManager.Statistics.TensorStatistics.CreatedInScopeCount + DisposeScopeManager.Statistics.TensorStatistics.CreatedOutsideScopeCount;

    private static int[] Ids(int count, int salt) => [.. Enumerable.Range(0, count).Select(i => (i * 31 + salt * 7) % 290 + 3)];

    private static int[] Table(int count, int first) => [.. Enumerable.Range(first, (count + BlockSize - 1) / BlockSize)];
}
