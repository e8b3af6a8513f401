// web_ui.mjs BASE_URL OUT_DIR — the web UI end to end in headless Chromium
// (Debian's chromium, driven by playwright-core): ask a question and see the
// answer stream in with its citations, click a citation and see the cited
// passage highlighted in the document, search with a type filter, list the
// sources, switch to Japanese (and stay Japanese after a reload), and a
// browser whose language is Japanese starts in Japanese. Screenshots go to
// OUT_DIR (chat.png, passage.png, search.png, ja.png, phone.png).
import { chromium } from "playwright-core";
import assert from "node:assert/strict";

const [base, out] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CR_CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
});
const errors = [];
try {
  const ctx = await browser.newContext({ locale: "en-US", viewport: { width: 1280, height: 800 } });
  const page = await ctx.newPage();
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  await page.goto(base + "/");
  assert.equal(await page.getAttribute("html", "lang"), "en");
  assert.equal(await page.textContent("#tab-chat"), "Chat");

  // ask: the answer streams in, then carries citations
  await page.fill("#question", "How many days of annual leave do employees get?");
  await page.press("#question", "Enter");
  const cite = page.locator(".msg.bot .answer-text button.cite").first();
  await cite.waitFor({ timeout: 20000 });
  const answer = await page.textContent(".msg.bot .answer-text");
  assert.match(answer, /20 days/);
  assert.match(await page.textContent(".msg.bot .cites"), /employee-handbook\.md/);
  await page.screenshot({ path: `${out}/chat.png` });

  // the citation opens the passage, highlighted and in view
  const quote = (await page.textContent(".msg.bot .cites q")).trim();
  await cite.click();
  const mark = page.locator("#viewer mark#cited");
  await mark.waitFor({ timeout: 10000 });
  assert.equal((await mark.textContent()).trim(), quote);
  assert.match(await mark.textContent(), /20 days of paid annual leave/);
  assert.ok(await mark.isVisible());
  const box = await mark.boundingBox();
  assert.ok(box && box.y >= 0 && box.y + box.height <= 800, `the mark is in view: ${JSON.stringify(box)}`);
  assert.equal(await page.locator("#viewer .passage.cited-section").count(), 1);
  assert.match(await page.textContent("#viewer-title"), /Employee Handbook/);
  await page.screenshot({ path: `${out}/passage.png` });
  await page.click("#viewer-close");
  assert.ok(await page.locator("#viewer").isHidden());

  // search with a type filter; a result opens its document
  await page.click("#tab-search");
  await page.fill("#q", "travel");
  await page.selectOption("#f-type", "pdf");
  await page.click("#search-form button[type=submit]");
  await page.locator(".result").first().waitFor();
  const locs = await page.locator(".result .loc").allTextContents();
  assert.ok(locs.length > 0 && locs.every((l) => l.includes("pdf")), `types: ${locs}`);
  assert.ok(await page.locator(".result .snippet mark").count() > 0, "matched terms marked");
  await page.screenshot({ path: `${out}/search.png` });
  await page.locator(".result-doc").first().click();
  await page.locator("#viewer .passage.cited-section").waitFor();
  await page.click("#viewer-close");

  // sources
  await page.click("#tab-sources");
  await page.locator("#sources-body tr").nth(10).waitFor();
  assert.match(await page.textContent("#sources-status"), /\d+ documents/);

  // meetings: action items by owner, one opens its meeting at the place it was said
  await page.click("#tab-meetings");
  await page.locator("#actions-body tr").nth(5).waitFor();
  assert.match(await page.textContent("#meetings-status"), /\d+ meetings, \d+ action items/);
  assert.ok(await page.locator("#decisions li").count() > 0, "decisions listed");
  await page.screenshot({ path: `${out}/meetings.png` });
  await page.locator("#actions-body button.link").first().click();
  await page.locator("#viewer .passage.at").first().waitFor();
  await page.click("#viewer-close");
  await page.click("#tab-sources");

  // upload a document; it is listed, and a question about it is answered from it
  await page.setInputFiles("#upload-file", { name: "falcon-brief.md", mimeType: "text/markdown",
    buffer: Buffer.from("# Falcon brief\n\nThe Falcon gripper ships with a titanium wrist in October.\n") });
  await page.click("#upload-form button[type=submit]");
  await page.waitForFunction(() => /Added .*falcon-brief\.md/.test(document.querySelector("#upload-status").textContent));
  await page.locator("#sources-body button", { hasText: "falcon-brief.md" }).waitFor();
  await page.screenshot({ path: `${out}/upload.png` });
  await page.click("#tab-chat");
  await page.fill("#question", "What does the Falcon gripper ship with?");
  await page.click("#ask-form button[type=submit]");
  await page.locator(".msg.bot .cites", { hasText: "falcon-brief.md" }).last().waitFor({ timeout: 20000 });

  // switch to Japanese; it stays after a reload
  await page.click("#tab-chat");
  await page.selectOption("#lang", "ja");
  assert.equal(await page.getAttribute("html", "lang"), "ja");
  assert.equal(await page.textContent("#tab-chat"), "チャット");
  assert.equal(await page.textContent("#ask-send"), "質問する");
  await page.reload();
  assert.equal(await page.textContent("#tab-search"), "検索");
  await page.fill("#question", "年次有給休暇は何日ですか？");
  await page.press("#question", "Enter");
  await page.locator(".msg.bot .mode").waitFor({ timeout: 20000 });
  assert.equal(await page.textContent(".msg.bot .mode"), "抽出型の回答（モデルなし）");
  await page.screenshot({ path: `${out}/ja.png` });
  await ctx.close();

  // a Japanese browser starts in Japanese; a phone-sized window works
  const ja = await browser.newContext({ locale: "ja-JP", viewport: { width: 390, height: 844 } });
  const p2 = await ja.newPage();
  p2.on("pageerror", (e) => errors.push(String(e)));
  await p2.goto(base + "/");
  assert.equal(await p2.getAttribute("html", "lang"), "ja");
  assert.equal(await p2.textContent("#tab-sources"), "資料");
  await p2.fill("#question", "How many days of annual leave do employees get?");
  await p2.press("#question", "Enter");
  await p2.locator(".msg.bot button.cite").first().click({ timeout: 20000 });
  await p2.locator("#viewer mark#cited").waitFor();
  await p2.screenshot({ path: `${out}/phone.png` });
  await ja.close();
  assert.deepEqual(errors, [], "no errors in the page");
  console.log("web ui: ok");
} finally {
  await browser.close();
}
