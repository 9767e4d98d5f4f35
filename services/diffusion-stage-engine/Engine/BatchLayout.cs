using static TorchSharp.torch;

namespace Omni.DiffusionStage.Engine;

/// <summary>
/// Where each job's rows sit in one batched forward pass. Every job contributes its images' rows once for the
/// conditional branch and, with guidance, once more for the unconditional one. Row groups are ordered by their
/// conditioning's token count (stable), so that groups attending to equally long conditioning are adjacent and
/// share one cross-attention call; timesteps are listed once each, for the per-timestep modulation.
/// </summary>
internal sealed class BatchLayout
{
    private readonly Dictionary<(DiffusionJob Job, bool Conditional), RowGroup> byJob;

    private BatchLayout(IReadOnlyList<RowGroup> groups, IReadOnlyList<double> timesteps, IReadOnlyList<int> rowTimestep)
    {
        Groups = groups;
        Timesteps = timesteps;
        RowTimestep = rowTimestep;
        byJob = groups.ToDictionary(group => (group.Job, group.Conditional));
    }

    public IReadOnlyList<RowGroup> Groups { get; }

    /// <summary>The distinct model timesteps of this step.</summary>
    public IReadOnlyList<double> Timesteps { get; }

    /// <summary>For each row, its index into <see cref="Timesteps"/>.</summary>
    public IReadOnlyList<int> RowTimestep { get; }

    public static BatchLayout Create(IReadOnlyList<DiffusionJob> jobs)
    {
        var unordered = new List<RowGroup>();
        foreach (var job in jobs)
        {
            unordered.Add(new RowGroup(job, Conditional: true, job.ConditionalKeyValues));
            if (job.UnconditionalKeyValues is { } unconditional)
            {
                unordered.Add(new RowGroup(job, Conditional: false, unconditional));
            }
        }

        var groups = new List<RowGroup>(unordered.Count);
        var timesteps = new List<double>();
        var rowTimestep = new List<int>();
        var offset = 0;
        foreach (var group in unordered.OrderBy(group => group.Tokens))
        {
            groups.Add(group with { Offset = offset });
            offset += group.Rows;
            var timestep = group.Job.Sampler.ModelTimestep(group.Job.StepIndex);
            var index = timesteps.IndexOf(timestep);
            if (index < 0)
            {
                index = timesteps.Count;
                timesteps.Add(timestep);
            }

            rowTimestep.AddRange(Enumerable.Repeat(index, group.Rows));
        }

        return new BatchLayout(groups, timesteps, rowTimestep);
    }

    /// <summary>The keys and values as consecutive row groups of equal token count, one tensor per block each.</summary>
    public IReadOnlyList<IReadOnlyList<Tensor>> KeyValueGroups()
    {
        var result = new List<IReadOnlyList<Tensor>>();
        foreach (var run in Groups.GroupBy(group => group.Tokens))
        {
            var members = run.ToList();
            result.Add(members.Count == 1
                ? members[0].KeyValues
                : Enumerable.Range(0, members[0].KeyValues.Count)
                    .Select(block => cat(members.Select(member => member.KeyValues[block]).ToList(), dim: 0))
                    .ToList());
        }

        return result;
    }

    /// <summary>The rows of <paramref name="job"/>'s branch in the batched model output (a view).</summary>
    public Tensor Velocity(Tensor output, DiffusionJob job, bool conditional)
    {
        var group = byJob[(job, conditional)];
        return output.narrow(0, group.Offset, group.Rows);
    }

    /// <param name="KeyValues">Per block, [rows, tokens, 2 * hidden].</param>
    internal sealed record RowGroup(DiffusionJob Job, bool Conditional, IReadOnlyList<Tensor> KeyValues)
    {
        public int Rows => Job.Images;

        public long Tokens => KeyValues[0].shape[1];

        public int Offset { get; init; }
    }
}
