// web_admin.mjs BASE_URL ADMIN PASSWORD MEMBER PASSWORD SHOTS_DIR — the web
// UI's Agents and Admin pages in headless Chromium, against a server with
// users, a stored agent "digest" and a scripted model
// (tests/e2e/server_web_admin.sh):
// - Agents: the agent is listed with its schedule, scope and tools; Run now
//   shows the answer, its verified citation (which opens the cited passage,
//   highlighted), the removed fabricated one and the step trace (tool,
//   arguments, result, ms); the run shows among the recent runs;
// - Admin (an admin logged in with a password, so every change carries the
//   session's CSRF token): add a user with a role, groups and an initial
//   password (who can then log in), create a token for it (shown once, and
//   it works), suspend the provider with a reason and resume it; the
//   tenant's use by user; the page
//   in Japanese; a phone-width window without sideways scrolling;
// - a member sees no Admin tab.
// Screenshots: agents.png, admin.png, admin-ja.png, admin-phone.png.
import { chromium } from "playwright-core";
import assert from "node:assert/strict";

const [base, admin, adminPw, member, memberPw, shots] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CR_CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
});
const errors = [];

async function login(ctx, user, pw) {
  const page = await ctx.newPage();
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("dialog", (d) => d.accept());
  await page.goto(base + "/");
  await page.locator("#login").waitFor({ state: "visible" });
  await page.fill("#login-user", user);
  await page.fill("#login-password", pw);
  await page.click("#login-submit");
  await page.locator("#whoami").waitFor({ state: "visible" });
  return page;
}

try {
  const ctx = await browser.newContext({ locale: "en-US", viewport: { width: 1280, height: 900 } });
  const page = await login(ctx, admin, adminPw);
  await page.locator("#tab-admin").waitFor({ state: "visible" });

  // ---- agents ----
  await page.click("#tab-agents");
  const card = page.locator('[data-agent="digest"]');
  await card.waitFor();
  const facts = await card.locator(".facts").textContent();
  assert.match(facts, /0 9 \* \* 1-5/);
  assert.match(facts, /policies/);
  assert.match(facts, /search, read_document/);
  assert.match(await card.locator(".badge").textContent(), /never run/);
  await card.locator("button.run-now").click();
  const cite = page.locator("#agent-run .run-answer button.cite").first();
  await cite.waitFor({ timeout: 60000 });
  assert.match(await page.textContent("#agent-run .answer-text"), /approval of a director/);
  assert.match(await page.textContent("#agent-run .cites"), /travel/i);
  assert.match(await page.textContent("#agent-run .unverified"), /\[7\]/); // the fabricated source, removed
  const steps = page.locator("#agent-run table.steps tbody tr");
  assert.ok((await steps.count()) >= 2, "steps shown");
  assert.equal((await steps.nth(0).locator("td").nth(1).textContent()).trim(), "search");
  assert.match(await steps.nth(0).locator("td").nth(2).textContent(), /travel approval director/);
  assert.match(await steps.nth(0).locator("td").nth(4).textContent(), /^[\d.]+ ms$/);
  assert.equal((await steps.nth(1).locator("td").nth(1).textContent()).trim(), "read_document");
  await page.locator("#agent-runs tr .badge.st-ok").first().waitFor();
  await card.locator(".badge.st-ok").waitFor();
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: `${shots}/agents.png`, fullPage: true });
  // the citation opens the cited passage
  const quote = (await page.textContent("#agent-run .cites q")).trim();
  await cite.click();
  const mark = page.locator("#viewer mark#cited");
  await mark.waitFor({ timeout: 10000 });
  assert.equal((await mark.textContent()).trim(), quote);
  await page.click("#viewer-close");

  // ---- admin: a user ----
  await page.click("#tab-admin");
  await page.locator('#users-body tr[data-user="' + admin + '"]').waitFor();
  await page.locator("#usage-body tr", { hasText: admin }).waitFor(); // the tenant's use by user
  await page.fill("#user-name", "kenji");
  await page.selectOption("#user-role", "member");
  await page.fill("#user-groups", "eng, ops");
  await page.fill("#user-password", "kenji-initial-1");
  await page.click("#user-form button[type=submit]");
  const row = page.locator('#users-body tr[data-user="kenji"]');
  await row.waitFor();
  assert.match(await row.textContent(), /Member.*default.*eng, ops/);
  assert.match(await page.textContent("#admin-status"), /Added kenji/);
  await page.locator("#groups-list li", { hasText: "ops (1)" }).waitFor();
  const r = await fetch(base + "/api/login", { method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ user: "kenji", password: "kenji-initial-1" }) });
  assert.equal(r.status, 200, "the new user logs in with its initial password");

  // ---- admin: a token, shown once ----
  await page.selectOption("#token-user", "kenji");
  await page.fill("#token-label", "laptop");
  await page.click("#token-create-form button[type=submit]");
  await page.locator("#token-new").waitFor({ state: "visible" });
  const tok = (await page.textContent("#token-value")).trim();
  assert.ok(tok.length > 20, "token shown");
  await page.locator("#tokens-body tr", { hasText: "laptop" }).waitFor();
  const me = await (await fetch(base + "/api/me", { headers: { Authorization: "Bearer " + tok } })).json();
  assert.equal(me.user, "kenji");
  assert.ok(!(await page.textContent("#tokens-body")).includes(tok), "the list never shows a token");

  // ---- admin: the kill-switch ----
  const prov = page.locator('#providers-body tr[data-provider="main"]');
  await prov.locator("input.reason").fill("quota dispute");
  await prov.locator("button.suspend").click();
  await prov.locator(".badge.st-failed", { hasText: "quota dispute" }).waitFor();
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: `${shots}/admin.png`, fullPage: true });
  await prov.locator("button.resume").click();
  await prov.locator(".badge.st-ok").waitFor();

  // ---- Japanese ----
  await page.selectOption("#lang", "ja");
  assert.equal(await page.textContent("#tab-admin"), "管理");
  assert.equal(await page.textContent("#tab-agents"), "エージェント");
  await page.locator('#users-body tr[data-user="kenji"]', { hasText: "メンバー" }).waitFor();
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: `${shots}/admin-ja.png`, fullPage: true });
  await page.selectOption("#lang", "en");

  // ---- a phone ----
  await page.setViewportSize({ width: 375, height: 740 });
  await page.reload();
  await page.locator('#providers-body tr[data-provider="main"]').waitFor();
  const wide = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(wide <= 375, `no sideways scrolling on a phone: ${wide}`);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: `${shots}/admin-phone.png`, fullPage: true });
  await page.click("#tab-agents");
  await page.locator('[data-agent="digest"]').waitFor();
  assert.ok((await page.evaluate(() => document.documentElement.scrollWidth)) <= 375, "agents fit a phone");

  // ---- a member: no Admin tab ----
  const mctx = await browser.newContext({ locale: "en-US" });
  const mp = await login(mctx, member, memberPw);
  await mp.locator("#tab-agents").waitFor({ state: "visible" });
  assert.ok(await mp.locator("#tab-admin").isHidden(), "a member sees no Admin tab");

  assert.deepEqual(errors, []);
  console.log("web admin: ok");
} finally {
  await browser.close();
}
