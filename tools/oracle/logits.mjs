// logits.mjs — llama.cpp (through node-llama-cpp's prebuilt CPU library) as
// the oracle for Cristal's inference engine.
//
//   node logits.mjs MODEL.gguf --tokens 1,2,3 [--out FILE.f32] [--top K] [--ctx N]
//       evaluates the token ids in one sequence and prints, per position,
//       the top-K (id, logit) pairs as JSON; with --out also writes every
//       position's full logit row (float32, little-endian, n_pos × n_vocab,
//       by token id) to FILE.
//   node logits.mjs MODEL.gguf --embed --tokens 101,2023,102 [--out FILE.f32]
//       prints the pooled embedding of the tokens (llama.cpp's own pooling,
//       as the file says) as a JSON array.
//   node logits.mjs MODEL.gguf --tokenize TEXT
//       prints llama.cpp's token ids for TEXT (special tokens parsed).
//
// Exits 77 when node-llama-cpp cannot be loaded, so tests can skip.
import fs from "node:fs";

const argv = process.argv.slice(2);
if (argv.length < 1) {
	console.error("usage: node logits.mjs MODEL.gguf (--tokens IDS [--out F] [--top K] | --embed --tokens IDS | --tokenize TEXT)");
	process.exit(2);
}
const modelPath = argv[0];
const opt = (name, def) => {
	const i = argv.indexOf(name);
	return i >= 0 && i + 1 < argv.length ? argv[i + 1] : def;
};
const flag = (name) => argv.includes(name);

let lib;
try {
	lib = await import("node-llama-cpp");
} catch (e) {
	console.error("oracle: node-llama-cpp is not installed: " + e.message);
	process.exit(77);
}
const llama = await lib.getLlama({ gpu: false, logLevel: "error", build: "never" });
const model = await llama.loadModel({ modelPath, gpuLayers: 0 });

if (flag("--tokenize")) {
	console.log(JSON.stringify(model.tokenize(opt("--tokenize", ""), true)));
	process.exit(0);
}

const tokens = (opt("--tokens", "") || "").split(",").filter((s) => s.length).map(Number);
if (!tokens.length) {
	console.error("oracle: --tokens is required");
	process.exit(2);
}
const out = opt("--out", null);
const ctxSize = Number(opt("--ctx", Math.max(64, tokens.length + 8)));

if (flag("--embed")) {
	const ec = await model.createEmbeddingContext({ contextSize: ctxSize, threads: 1 });
	const emb = await ec.getEmbeddingFor(tokens);
	const v = Array.from(emb.vector);
	if (out) fs.writeFileSync(out, Buffer.from(new Float32Array(v).buffer));
	console.log(JSON.stringify(v));
	await ec.dispose();
	process.exit(0);
}

const top = Number(opt("--top", 5));
const ctx = await model.createContext({ contextSize: ctxSize, threads: 1, batchSize: Math.max(tokens.length, 8) });
const seq = ctx.getSequence();
const input = tokens.map((t) => [t, { generateNext: { logits: true } }]);
const res = await seq.controlledEvaluate(input);
let rows = [];
let V = 0;
for (let i = 0; i < tokens.length; i++) {
	const m = res[i]?.next?.logits;
	if (!m) {
		console.error(`oracle: no logits for position ${i}`);
		process.exit(1);
	}
	rows.push(m);
	for (const id of m.keys()) if (id + 1 > V) V = id + 1;
}
if (out) {
	const buf = new Float32Array(tokens.length * V);
	rows.forEach((m, i) => {
		for (const [id, l] of m) buf[i * V + id] = l;
	});
	fs.writeFileSync(out, Buffer.from(buf.buffer));
}
const summary = rows.map((m) => Array.from(m.entries()).slice(0, top));
console.log(JSON.stringify({ n_vocab: V, top: summary }));
await ctx.dispose();
process.exit(0);
