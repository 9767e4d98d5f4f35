// Drives the orchestrator's HTTP door with the official OpenAI client for TypeScript/JavaScript and prints what came
// back as one JSON object; Omni.IntegrationTests (OpenAiTypeScriptClientTests) compares it with the gRPC door's answers.
// Usage: node door.mjs BASE_URL MODEL   (BASE_URL such as http://127.0.0.1:8000/v1)
import OpenAI from 'openai';

const [baseURL, model] = process.argv.slice(2);
const client = new OpenAI({ baseURL, apiKey: process.env.OMNI_API_KEY ?? 'unused', maxRetries: 0 });
const messages = [
  { role: 'system', content: 'You answer briefly.' },
  { role: 'user', content: 'Name a colour.' },
];
const result = {};

const chat = await client.chat.completions.create({
  model, messages, max_tokens: 8, seed: 7, logprobs: true, top_logprobs: 2,
  // vLLM's extension: the generated token ids, to compare with the gRPC door's.
  return_token_ids: true,
});
result.chat = {
  text: chat.choices[0].message.content,
  finishReason: chat.choices[0].finish_reason,
  tokenIds: chat.choices[0].token_ids,
  logprobs: chat.choices[0].logprobs.content.map(entry => ({
    token: entry.token, logprob: entry.logprob, top: entry.top_logprobs.map(top => top.token),
  })),
  usage: chat.usage,
  requestId: chat.omni.request_id,
};

const stream = await client.chat.completions.create({
  model, messages, max_tokens: 8, seed: 7, stream: true, stream_options: { include_usage: true }, return_token_ids: true,
});
const streamed = { text: '', tokenIds: [], chunks: 0, finishReason: null, usage: null };
for await (const chunk of stream) {
  streamed.chunks++;
  if (chunk.usage) streamed.usage = chunk.usage;
  for (const choice of chunk.choices) {
    streamed.text += choice.delta?.content ?? '';
    streamed.tokenIds.push(...(choice.token_ids ?? []));
    if (choice.finish_reason) streamed.finishReason = choice.finish_reason;
  }
}
result.stream = streamed;

const completion = await client.completions.create({
  model, prompt: 'Once upon a time', max_tokens: 6, seed: 3, return_token_ids: true,
});
result.completion = { text: completion.choices[0].text, tokenIds: completion.choices[0].token_ids, finishReason: completion.choices[0].finish_reason };

const image = await client.images.generate({
  model, prompt: 'A red square', size: '64x64', response_format: 'b64_json',
  // Our extensions, sent as extra body fields.
  seed: 11, num_inference_steps: 3,
});
result.image = { b64: image.data[0].b64_json, size: image.size };

try {
  await client.chat.completions.create({ model, messages, temperature: 5 });
  result.error = null;
} catch (error) {
  result.error = { status: error.status, param: error.param ?? null, type: error.type ?? null, message: error.message };
}

console.log(JSON.stringify(result));
