namespace Omni.IntegrationTests;

/// <summary>
/// The tests that kill, freeze or overload their own pipelines run one after another, so that their timing bounds
/// (detection within seconds, refusals at once) are not measured against each other's load on a small machine.
/// </summary>
[CollectionDefinition(Name)]
public sealed class FaultsCollection
{
    public const string Name = "faults";
}
