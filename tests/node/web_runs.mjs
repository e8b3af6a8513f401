// web_runs.mjs BASE_URL ADMIN PASSWORD MEMBER PASSWORD SHOTS_DIR — the web
// UI's ingest status, live agent runs and account settings in headless
// Chromium (tests/e2e/server_web_runs.sh):
// - Sources: the member sees each source root it may read (its documents,
//   last ingest) and no rejected files; the admin sees the folder's
//   rejected file and its reason; the headings in Japanese;
// - Agents: Run now follows the run live (steps appear one by one while
//   Cancel is offered); Cancel stops it (canceled, fewer steps); a second
//   run goes to its end (answered, six steps);
// - Account: the member changes its password from the page reached by its
//   name (a mismatch and a wrong current password are refused, then the
//   new one logs in and the old one does not); the page in Japanese;
// - Admin: the admin edits the member's role and groups in its row.
// Screenshots: sources.png, agents-live.png, account.png.
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
  const page = await login(ctx, member, memberPw);

  // ---- sources: what the member may read of each root ----
  await page.click("#tab-sources");
  const franks = page.locator('#ingest-body tr[data-source="franks"]');
  await franks.waitFor();
  await page.locator('#ingest-body tr[data-source="samples"]').waitFor();
  const cells = franks.locator("td");
  assert.equal((await cells.nth(1).textContent()).trim(), "folder");
  assert.equal((await cells.nth(2).textContent()).trim(), "1");
  assert.match(await cells.nth(4).textContent(), /\d/);
  assert.equal((await cells.nth(5).textContent()).trim(), "", "a member is shown no rejected files");
  assert.match(await page.textContent("#ingest-running"), /No ingest running/);

  // ---- agents: a run followed live, then canceled ----
  await page.click("#tab-agents");
  const card = page.locator('[data-agent="slowpoke"]');
  await card.waitFor();
  await card.locator("button.run-now").click();
  const rows = page.locator("#agent-run .live-steps table.steps tbody tr");
  await rows.first().waitFor({ timeout: 20000 });
  const cancel = page.locator("#agent-run button.cancel-run");
  assert.ok(await cancel.isVisible(), "Cancel is offered while the run goes on");
  const seen = await rows.count();
  assert.ok(seen < 6, `the steps come in as they end (${seen} so far)`);
  assert.match(await page.textContent("#agent-run .thinking"), /steps so far/);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: `${shots}/agents-live.png`, fullPage: true });
  await cancel.click();
  await page.locator("#agent-run .run-state .badge.st-canceled").waitFor({ timeout: 15000 });
  const after = await page.locator("#agent-run table.steps tbody tr").count();
  assert.ok(after < 6, `the canceled run stopped early (${after} steps)`);
  await page.locator("#agent-runs tr", { hasText: "stopped" }).first().waitFor();

  // ---- a run to its end ----
  await card.locator("button.run-now").click();
  await page.locator("#agent-run .run-state .badge.st-done").waitFor({ timeout: 30000 });
  assert.equal(await page.locator("#agent-run table.steps tbody tr").count(), 6);
  assert.match(await page.textContent("#agent-run .answer-text"), /Travel needs approval/);

  // ---- account: one's own password ----
  await page.click("#whoami");
  await page.locator("#view-account").waitFor({ state: "visible" });
  await page.fill("#pw-current", memberPw);
  await page.fill("#pw-new", "new-pass-123");
  await page.fill("#pw-confirm", "new-pass-124");
  await page.click("#password-form button[type=submit]");
  await page.locator("#password-status", { hasText: "differ" }).waitFor();
  await page.fill("#pw-current", "not-my-password");
  await page.fill("#pw-confirm", "new-pass-123");
  await page.click("#password-form button[type=submit]");
  await page.locator("#password-status", { hasText: "current password is wrong" }).waitFor();
  await page.fill("#pw-current", memberPw);
  await page.fill("#pw-new", "new-pass-123");
  await page.fill("#pw-confirm", "new-pass-123");
  await page.click("#password-form button[type=submit]");
  await page.locator("#password-status", { hasText: "Your password is changed" }).waitFor();
  assert.equal(await page.inputValue("#pw-current"), "", "the form is cleared");
  const tryLogin = async (pw) => (await fetch(base + "/api/login", { method: "POST",
    headers: { "Content-Type": "application/json" }, body: JSON.stringify({ user: member, password: pw }) })).status;
  assert.equal(await tryLogin("new-pass-123"), 200);
  assert.equal(await tryLogin(memberPw), 401);
  await page.screenshot({ path: `${shots}/account.png` });
  await page.selectOption("#lang", "ja");
  assert.equal(await page.textContent('#password-form button[type=submit]'), "パスワードを変更");
  await page.selectOption("#lang", "en");

  // ---- sources as the admin: the rejected file and its reason ----
  const actx = await browser.newContext({ locale: "en-US", viewport: { width: 1280, height: 900 } });
  const ap = await login(actx, admin, adminPw);
  await ap.click("#tab-sources");
  const af = ap.locator('#ingest-body tr[data-source="franks"]');
  await af.waitFor();
  await af.locator("summary", { hasText: "1 rejected" }).click();
  assert.match(await af.locator("td.rejected li").textContent(), /broken\.pdf: .*pdf/i);
  await ap.evaluate(() => window.scrollTo(0, 0));
  await ap.screenshot({ path: `${shots}/sources.png`, fullPage: true });
  await ap.selectOption("#lang", "ja");
  assert.equal(await ap.textContent('#ingest-table th[data-i18n="ingest.last"]'), "最終取り込み");
  await af.locator("td", { hasText: "フォルダー" }).waitFor();
  await ap.selectOption("#lang", "en");

  // ---- admin: a user's role and groups ----
  await ap.click("#tab-admin");
  const urow = ap.locator(`#users-body tr[data-user="${member}"]`);
  await urow.waitFor();
  await urow.locator("button.edit-user").click();
  await urow.locator("select.edit-role").selectOption("auditor");
  await urow.locator("input.edit-groups").fill("eng, ops");
  await urow.locator("button.save-user").click();
  await ap.locator("#admin-status", { hasText: `Changed ${member}` }).waitFor();
  // "Changed" is said before the list is loaded again, and the edit row's
  // role menu holds the word "Auditor" too: wait for the row drawn anew.
  const saved = ap.locator(`#users-body tr[data-user="${member}"]`).filter({ hasNot: ap.locator("select, input") });
  await saved.filter({ hasText: "eng, ops" }).waitFor();
  assert.match(await saved.textContent(), /Auditor.*default.*eng, ops/);
  const me = await (await fetch(base + "/api/login", { method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ user: member, password: "new-pass-123" }) })).json();
  assert.equal(me.role, "auditor", "the new role is the user's at once");

  assert.deepEqual(errors, []);
  console.log("web runs: ok");
} finally {
  await browser.close();
}
