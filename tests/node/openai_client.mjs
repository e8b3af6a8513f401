// openai_client.mjs BASE_URL — OpenAI's official client against Cristal's
// /v1: models; cristal-rag plain and streamed (the same text either way,
// with its source list); a provider's model passed through, plain,
// streamed and with tools; embeddings through a provider; errors as the
// client's typed errors. Exits non-zero with the reason on any mismatch.
import OpenAI from "openai";
import assert from "node:assert/strict";

const client = new OpenAI({ baseURL: process.argv[2] + "/v1", apiKey: "unused", maxRetries: 0 });
const Q = "How many days of annual leave do employees get?";

const models = await client.models.list();
const ids = models.data.map((m) => m.id);
assert.ok(ids.includes("cristal-rag"), `models: ${ids}`);
assert.ok(ids.includes("up") && ids.includes("tooler"), `models: ${ids}`);

// cristal-rag, plain
const plain = await client.chat.completions.create({
  model: "cristal-rag",
  messages: [{ role: "system", content: "Answer from the documents." }, { role: "user", content: Q }],
});
const text = plain.choices[0].message.content;
assert.equal(plain.choices[0].finish_reason, "stop");
assert.match(text, /20 days/);
assert.match(text, /\n\nSources:\n\[1\] samples\/docs\/employee-handbook\.md/);

// cristal-rag, streamed: the same text, in pieces
const stream = await client.chat.completions.create({
  model: "cristal-rag",
  messages: [{ role: "user", content: Q }],
  stream: true,
});
let streamed = "", pieces = 0, finish = null;
for await (const chunk of stream) {
  const d = chunk.choices[0]?.delta;
  if (d?.content) { streamed += d.content; pieces++; }
  if (chunk.choices[0]?.finish_reason) finish = chunk.choices[0].finish_reason;
}
assert.equal(streamed, text);
assert.ok(pieces > 3, `pieces: ${pieces}`);
assert.equal(finish, "stop");

// Japanese: the source list says 出典
const ja = await client.chat.completions.create({
  model: "cristal-rag",
  messages: [{ role: "user", content: "年次有給休暇は何日ですか？" }],
});
assert.ok(ja.choices[0].message.content.length > 0);

// a provider's model, passed through
const up = await client.chat.completions.create({ model: "up", messages: [{ role: "user", content: "hi" }] });
assert.equal(up.choices[0].message.content, "hello from ok");
assert.equal(up.usage.prompt_tokens, 11);
const ups = await client.chat.completions.create({
  model: "up", messages: [{ role: "user", content: "hi" }], stream: true, stream_options: { include_usage: true },
});
let upText = "", usage = null;
for await (const chunk of ups) {
  upText += chunk.choices[0]?.delta?.content ?? "";
  if (chunk.usage) usage = chunk.usage;
}
assert.equal(upText, "hello from ok");
assert.equal(usage?.completion_tokens, 3);

// tools, passed through and back
const tools = [{
  type: "function",
  function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } },
}];
const tc = await client.chat.completions.create({
  model: "tooler", messages: [{ role: "user", content: "weather in Paris?" }], tools,
});
assert.equal(tc.choices[0].finish_reason, "tool_calls");
assert.equal(tc.choices[0].message.tool_calls[0].function.name, "get_weather");
assert.deepEqual(JSON.parse(tc.choices[0].message.tool_calls[0].function.arguments), { city: "Paris" });
const tcs = await client.chat.completions.create({
  model: "tooler", messages: [{ role: "user", content: "weather in Paris?" }], tools, stream: true,
});
let args = "", name = "", tfinish = null;
for await (const chunk of tcs) {
  for (const t of chunk.choices[0]?.delta?.tool_calls ?? []) {
    name += t.function?.name ?? "";
    args += t.function?.arguments ?? "";
  }
  if (chunk.choices[0]?.finish_reason) tfinish = chunk.choices[0].finish_reason;
}
assert.equal(name, "get_weather");
assert.deepEqual(JSON.parse(args), { city: "Paris" });
assert.equal(tfinish, "tool_calls");

// embeddings through a provider that has them, in input order
const emb = await client.embeddings.create({ model: "up", input: ["a", "b"], encoding_format: "float" });
assert.equal(emb.data.length, 2);
assert.deepEqual(emb.data[0].embedding, [0, 0.5, -1]);
assert.deepEqual(emb.data[1].embedding, [1, 0.5, -1]);

// errors are the client's typed errors
await assert.rejects(client.embeddings.create({ model: "cristal-rag", input: "x" }),
  (e) => e instanceof OpenAI.BadRequestError && /no embeddings/.test(e.message));
await assert.rejects(client.chat.completions.create({ model: "nope", messages: [{ role: "user", content: "x" }] }),
  (e) => e instanceof OpenAI.NotFoundError);
await assert.rejects(client.chat.completions.create({ model: "cristal-rag", messages: [] }),
  (e) => e instanceof OpenAI.BadRequestError);
console.log("openai client: ok");
