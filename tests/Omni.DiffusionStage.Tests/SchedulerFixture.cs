using System.Text.Json;

namespace Omni.DiffusionStage.Tests;

/// <summary>Fixtures/schedulers.json: reference schedules computed with diffusers' algorithms.</summary>
internal static class SchedulerFixture
{
    private static readonly Lazy<JsonElement> Root = new(() =>
        JsonDocument.Parse(File.ReadAllText(System.IO.Path.Combine(AppContext.BaseDirectory, "Fixtures", "schedulers.json"))).RootElement);

    public static JsonElement FlowMatchRun(string key) =>
        Root.Value.GetProperty("flow_match_euler_discrete").GetProperty("runs").GetProperty(key);

    public static JsonElement Ddim => Root.Value.GetProperty("ddim");

    public static JsonElement DdimRun(string key) => Ddim.GetProperty("runs").GetProperty(key);

    public static (double[] Values, long[] Shape) Sample => Tensor("sample");

    public static (double[] Values, long[] Shape) ModelOutput => Tensor("model_output");

    public static double[] Doubles(this JsonElement element) =>
        element.EnumerateArray().Select(value => value.GetDouble()).ToArray();

    private static (double[] Values, long[] Shape) Tensor(string name)
    {
        var element = Root.Value.GetProperty(name);
        return (element.GetProperty("values").Doubles(), element.GetProperty("shape").EnumerateArray().Select(v => v.GetInt64()).ToArray());
    }
}
