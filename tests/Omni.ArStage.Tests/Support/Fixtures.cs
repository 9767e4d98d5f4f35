namespace Omni.ArStage.Tests.Support;

/// <summary>Paths of the files copied from Fixtures/ into the test output directory.</summary>
internal static class Fixtures
{
    public static string Root => Path.Combine(AppContext.BaseDirectory, "Fixtures");

    public static string Qwen2TinyDirectory => Path.Combine(Root, "qwen2-tiny");

    public static string Qwen2TinyExpected => Path.Combine(Root, "qwen2-tiny.expected.json");

    public static string Qwen2TinyPromptLastLogits => Path.Combine(Root, "qwen2-tiny.prompt_last_logits.f32");
}
