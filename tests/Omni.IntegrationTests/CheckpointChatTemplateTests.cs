using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Omni.Cli.Client;
using Omni.Cli.Launching;
using Omni.Testing;

namespace Omni.IntegrationTests;

/// <summary>The HTTP door renders a chat with the checkpoint's own chat template (tokenizer_config.json) when it has one.</summary>
public sealed class CheckpointChatTemplateTests
{
    private const string Llama3Template =
        "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + "
        + "'<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}"
        + "{{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}";

    [Fact]
    public async Task ChatCompletion_CheckpointWithAChatTemplate_SameTokensAsItsRenderingThroughGrpc()
    {
        var model = Path.Combine(Path.GetTempPath(), $"omni-chat-template-{Guid.NewGuid():N}");
        try
        {
            BuiltInModels.CopyArModel(model);
            await File.WriteAllTextAsync(Path.Combine(model, "tokenizer_config.json"), new JsonObject
            {
                ["chat_template"] = Llama3Template,
                ["bos_token"] = "<|begin_of_text|>",
                ["eos_token"] = new JsonObject { ["content"] = "<|eot_id|>" },
            }.ToJsonString());
            await using var pipeline = await LocalPipeline.StartAsync(new LocalPipelineOptions { Device = "cpu", ArModelDirectory = model }, CancellationToken.None);
            using var http = new HttpClient();
            using var client = new OmniClient(pipeline.Orchestrator.GrpcAddress);

            using var response = await http.PostAsync(pipeline.Orchestrator.HttpAddress + "/v1/chat/completions", new StringContent(
                """{"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":" Hi "}],"max_tokens":4,"seed":3,"return_token_ids":true}""",
                Encoding.UTF8, "application/json"));
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            var grpc = await client.GenerateAsync(Requests.Text(
                "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\n", maxTokens: 4, seed: 3));

            Assert.Equal(grpc.TokenIds, body.RootElement.GetProperty("choices")[0].GetProperty("token_ids").EnumerateArray().Select(id => id.GetInt32()));
            Assert.Equal((int)grpc.Final.Usage.PromptTokens, body.RootElement.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
        }
        finally
        {
            Directory.Delete(model, recursive: true);
        }
    }
}
