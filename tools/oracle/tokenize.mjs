// tokenize.mjs — llama.cpp as the tokenizer oracle: loads a GGUF
// vocabulary-only (node-llama-cpp, prebuilt libllama, CPU) and prints the
// ids llama_tokenize gives, for comparison with `cristal tokenize --batch`.
//
//   node tools/oracle/tokenize.mjs --model FILE.gguf [--special] < lines.jsonl
//   node tools/oracle/tokenize.mjs --model FILE.gguf [--special] --decode < lines.jsonl
//   node tools/oracle/tokenize.mjs --gen N [--seed S] > lines.jsonl
//
// --gen writes N test strings (deterministic for a seed) as JSON lines:
// English with contractions and numbers, Japanese, source code, and odd
// Unicode (emoji and ZWJ sequences, combining marks, RTL scripts, control
// and format characters, long whitespace runs, digits of many scripts,
// special-token look-alikes, random code points).
//
// stdin: one JSON string per line. stdout: one JSON array of ids per line,
// add_special = false (no BOS/EOS), parse_special = --special. With
// --decode: the ids, a tab, and the hex of the UTF-8 text llama_detokenize
// gives back for them (unparse_special = --special, remove_special = false). Everything
// llama.cpp logs goes to stderr so stdout stays parseable. Never downloads.
import { getLlama, LlamaLogLevel } from "node-llama-cpp";
import { createInterface } from "node:readline";

const args = process.argv.slice(2);
let modelPath = null;
let special = false;
let gen = 0;
let decode = false;
let seed = 1;
for (let i = 0; i < args.length; i++) {
    if (args[i] === "--model") modelPath = args[++i];
    else if (args[i] === "--special") special = true;
    else if (args[i] === "--decode") decode = true;
    else if (args[i] === "--gen") gen = parseInt(args[++i], 10);
    else if (args[i] === "--seed") seed = parseInt(args[++i], 10);
}
if (gen > 0) {
    generate(gen, seed);
    process.exit(0);
}
if (!modelPath) {
    process.stderr.write("usage: tokenize.mjs --model FILE.gguf [--special] < lines.jsonl\n");
    process.exit(2);
}
// Keep stdout for our answers only.
const out = (s) => process.stdout.write(s);
console.log = (...a) => process.stderr.write(a.join(" ") + "\n");
console.info = console.log;
console.warn = console.log;

const llama = await getLlama({
    gpu: false,
    build: "never",
    usePrebuiltBinaries: true,
    progressLogs: false,
    logLevel: LlamaLogLevel.error,
    logger: (level, message) => process.stderr.write(message),
});
const model = await llama.loadModel({ modelPath, vocabOnly: true, gpuLayers: 0 });
const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of rl) {
    if (line.length === 0) continue;
    let text;
    try {
        text = JSON.parse(line);
    } catch {
        out("null\n");
        continue;
    }
    if (typeof text !== "string") {
        out("null\n");
        continue;
    }
    const ids = text === "" ? [] : Array.from(model.tokenize(text, special));
    if (decode) {
        const back = ids.length === 0 ? "" : model.detokenize(ids, special);
        out(JSON.stringify(ids) + "\t" + Buffer.from(back, "utf8").toString("hex") + "\n");
        continue;
    }
    out(JSON.stringify(ids) + "\n");
}
await model.dispose();
await llama.dispose();

function generate(n, seed) {
    let st = seed >>> 0;
    const rnd = () => { // mulberry32
        st = (st + 0x6D2B79F5) >>> 0;
        let t = st;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const ri = (k) => Math.floor(rnd() * k);
    const pick = (a) => a[ri(a.length)];
    const words = ["the", "The", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "I", "you", "they",
        "we", "it", "isn't", "don't", "we're", "they've", "I'm", "you'll", "she'd", "IT'S", "WE'RE", "Hello",
        "world", "tokenizer", "llama", "model", "Cristal", "enterprise", "agent", "document", "search",
        "index", "3.14159", "42", "1,000,000", "2024-05-17", "$100", "100%", "e-mail", "U.S.A.", "naïve",
        "café", "résumé", "Zürich", "coöperate", "façade", "Ångström", "straße", "ÉCOLE", "ﬁne", "Ⅻ"];
    const ja = ["こんにちは", "世界", "東京都", "日本語の文章です", "カタカナ", "ひらがな", "漢字", "。", "、", "！",
        "？", "「引用」", "（括弧）", "１２３", "ＡＢＣ", "ｶﾀｶﾅ", "令和", "株式会社", "検索エンジン",
        "トークナイザー", "私は学生です", "〜", "・", "ー", "々", "〇", "　", "です。", "ます、"];
    const code = ["int main(void) {\n\treturn 0;\n}\n", "def f(x):\n    return x ** 2  # square\n",
        "for (i = 0; i < n; i++) a[i] += b[i];", "if x != None and y >= 3:", "const s = `${a}-${b}`;",
        "#include <stdio.h>\n", "    \t  if (p == NULL) goto fail;\r\n", "SELECT * FROM t WHERE id=1;",
        "x = {'a': [1, 2, 3], \"b\": null}", "fn main() -> Result<(), Box<dyn Error>> {", "a&&b||!c",
        "<div class=\"x\">&nbsp;</div>", "0x1F 0b1010 1e-9 .5 5.", "=> :: -> ... ??= <<= >>>", "\\n\\t"];
    const odd = ["🦙", "👍🏽", "👨‍👩‍👧‍👦", "🇯🇵", "❤️", "e\u0301", "a\u0300\u0301\u0302", "\u0301",
        "שלום עולם", "مرحبا بالعالم", "\u200F\u200E", "\u202Eabc\u202C", "\u0001\u0002", "\u007F",
        "\u0085", "\u00A0", "\u200B", "\uFEFF", "\u3000", "\u2028", "\t\t\t", "\r\n\r\n",
        "                ", "\n\n\n\n", " \t \n ", "١٢٣٤٥", "०१२३", "𝟘𝟙𝟚", "①②③", "½¾",
        "12345678901234567890", "𠀀𠀁", "한국어", "ภาษาไทย", "हिन्दी", "Ελληνικά", "Русский", "ქართული",
        "<|im_start|>", "<|im_end|>", "<|endoftext|>", "<s>", "</s>", "[CLS]", "[SEP]", "<unk>", "<0x0A>",
        "▁", "Ġ", "\uFFFD", "\u0000", "Ꙃ", "ǅ", "ﬀ", "İ", "ſ", "K", "Ω"];
    const esc = (s) => s.replace(/\\u([0-9A-Fa-f]{4})/g, (m, h) => String.fromCharCode(parseInt(h, 16)))
        .replace(/\\n/g, "\n").replace(/\\t/g, "\t").replace(/\\r/g, "\r");
    const seps = [" ", " ", " ", "  ", "\n", "\t", "", ", ", ". ", "\r\n", "   \n"];
    const randCp = () => {
        const ranges = [[0x20, 0x7e], [0xa0, 0x24f], [0x300, 0x36f], [0x370, 0x52f], [0x590, 0x6ff],
            [0x900, 0x97f], [0xe00, 0xe7f], [0x1100, 0x11ff], [0x2000, 0x206f], [0x20a0, 0x2bff],
            [0x3000, 0x30ff], [0x4e00, 0x9fff], [0xac00, 0xd7a3], [0xff00, 0xffef], [0x1f300, 0x1faff],
            [0x1d400, 0x1d7ff], [0x20000, 0x2a6df]];
        const [a, b] = pick(ranges);
        return String.fromCodePoint(a + ri(b - a + 1));
    };
    const lines = [];
    for (let i = 0; i < n; i++) {
        const kind = i % 6;
        let s = "";
        const len = 1 + ri(kind === 5 ? 30 : 12);
        for (let k = 0; k < len; k++) {
            if (kind === 0) s += pick(words) + pick(seps);
            else if (kind === 1) s += pick(ja) + (rnd() < 0.2 ? pick(words) + " " : "");
            else if (kind === 2) s += esc(pick(code));
            else if (kind === 3) s += esc(pick(odd)) + (rnd() < 0.5 ? pick(words) : "") + (rnd() < 0.3 ? pick(seps) : "");
            else if (kind === 4) s += rnd() < 0.5 ? pick(seps).repeat(1 + ri(20)) : String(ri(1e9)) + pick(["", " ", ".", ","]);
            else s += randCp();
        }
        if (rnd() < 0.1) s = " " + s;
        if (rnd() < 0.1) s = s + " ";
        lines.push(JSON.stringify(s));
    }
    process.stdout.write(lines.join("\n") + "\n");
}
