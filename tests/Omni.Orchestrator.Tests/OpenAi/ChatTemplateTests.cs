using System.Text.Json;
using Omni.Orchestrator.OpenAi;
using Omni.Orchestrator.OpenAi.Jinja;

namespace Omni.Orchestrator.Tests.OpenAi;

/// <summary>
/// Hugging Face chat templates (Qwen2, Qwen2.5, Llama 2 and 3, Zephyr) rendered by the door's Jinja subset give the
/// strings jinja2 gives as transformers renders them (Fixtures/chat_templates.json, from make_chat_templates.py).
/// </summary>
public sealed class ChatTemplateTests
{
    public static TheoryData<int> Cases()
    {
        var cases = new TheoryData<int>();
        for (var i = 0; i < Fixture.GetArrayLength(); i++)
        {
            cases.Add(i);
        }
        return cases;
    }

    private static JsonElement Fixture { get; } =
        JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "chat_templates.json"))).RootElement;

    [Theory]
    [MemberData(nameof(Cases))]
    public void Render_HuggingFaceTemplate_SameStringAsJinja2(int index)
    {
        var fixture = Fixture[index];
        var template = JinjaTemplate.Parse(fixture.GetProperty("template").GetString()!);
        var variables = new Dictionary<string, object?>
        {
            ["messages"] = fixture.GetProperty("messages").EnumerateArray()
                .Select(message => (object?)new Dictionary<string, object?>
                {
                    ["role"] = message.GetProperty("role").GetString(),
                    ["content"] = message.GetProperty("content").GetString(),
                }).ToList(),
            ["add_generation_prompt"] = fixture.GetProperty("add_generation_prompt").GetBoolean(),
            ["bos_token"] = fixture.GetProperty("bos_token").GetString(),
            ["eos_token"] = fixture.GetProperty("eos_token").GetString(),
        };

        if (fixture.TryGetProperty("error", out var error))
        {
            var raised = Assert.Throws<JinjaException>(() => template.Render(variables));
            Assert.Equal((error.GetString(), true), (raised.Message, raised.RaisedByTemplate));
        }
        else
        {
            Assert.Equal(fixture.GetProperty("expected").GetString(), template.Render(variables));
        }
    }

    [Fact]
    public void Render_TemplateRaisesForTheMessages_InvalidNamingMessages()
    {
        var llama2 = Fixture.EnumerateArray().First(entry => entry.GetProperty("template_name").GetString() == "llama2").GetProperty("template").GetString()!;
        var compiled = new CheckpointChatTemplate.Compiled(llama2, JinjaTemplate.Parse(llama2), "<s>", "</s>");
        using var messages = JsonDocument.Parse("""[{"role":"user","content":"Hi"},{"role":"user","content":"Again"}]""");

        var refused = Assert.Throws<OpenAiRequestException>(() => ChatPrompt.Render(messages.RootElement, compiled));

        Assert.Equal((400, "messages"), (refused.StatusCode, refused.Param));
        Assert.Contains("Conversation roles must alternate", refused.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{% macro greet() %}hi{% endmacro %}")]
    [InlineData("{% include 'other' %}")]
    [InlineData("{{ messages | unknown_filter }}")]
    public void Parse_WhatTheSubsetLacks_RefusedAtParseOrRender(string source)
    {
        Assert.Throws<JinjaException>(() => JinjaTemplate.Parse(source).Render(new Dictionary<string, object?> { ["messages"] = new List<object?>() }));
    }

    [Fact]
    public void Render_NoCheckpointTemplate_ChatMl()
    {
        using var messages = JsonDocument.Parse("""[{"role":"user","content":"Hi"}]""");

        Assert.Equal("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n", ChatPrompt.Render(messages.RootElement, null));
    }
}
