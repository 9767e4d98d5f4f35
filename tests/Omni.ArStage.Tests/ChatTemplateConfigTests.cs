using System.Text.Json;
using Omni.ArStage.Tokenization;

namespace Omni.ArStage.Tests;

public sealed class ChatTemplateConfigTests
{
    [Fact]
    public void Parse_StringTemplateAndAddedTokenObjects_TemplateWithTokenStrings()
    {
        using var config = JsonDocument.Parse("""
            {"chat_template": "{{ bos_token }}{% for m in messages %}{{ m.content }}{% endfor %}",
             "bos_token": {"content": "<s>", "lstrip": false}, "eos_token": "</s>"}
            """);

        var template = ChatTemplateConfig.Parse(config.RootElement, "test");

        Assert.Equal(new ChatTemplateConfig("{{ bos_token }}{% for m in messages %}{{ m.content }}{% endfor %}", "<s>", "</s>"), template);
    }

    [Fact]
    public void Parse_NamedTemplates_TheDefaultOne()
    {
        using var config = JsonDocument.Parse("""{"chat_template": [{"name": "tool_use", "template": "T"}, {"name": "default", "template": "D"}]}""");

        Assert.Equal("D", ChatTemplateConfig.Parse(config.RootElement, "test")!.Template);
    }

    [Fact]
    public void Parse_NoTemplate_Null()
    {
        using var config = JsonDocument.Parse("""{"bos_token": "<s>"}""");

        Assert.Null(ChatTemplateConfig.Parse(config.RootElement, "test"));
    }

    [Fact]
    public void Load_DirectoryWithoutTokenizerConfig_Null()
    {
        Assert.Null(ChatTemplateConfig.Load(Path.GetTempPath()));
    }
}
