// web_login.mjs BASE_URL TOKEN [USER PASSWORD [SHOTS_DIR]] — the web UI
// against a server with users, in headless Chromium.
// With a token only: the page asks to log in; a token given instead of a
// password answers a question and is kept for the next visit.
// With a user and password as well: a wrong password is refused with a
// message; the right one logs in (an HttpOnly cookie the page cannot read),
// a question is answered and its citation shown; a state change sent from
// the page without the session's CSRF token is refused (403) while the same
// request with it passes; a reload stays logged in; log-out ends the
// session; the log-in page in Japanese.
import { chromium } from "playwright-core";
import assert from "node:assert/strict";

const [base, token, user, password, shots] = process.argv.slice(2);
const Q = "How many days of annual leave do employees get?";
const browser = await chromium.launch({
  executablePath: process.env.CR_CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
});

async function ask(page) {
  await page.fill("#question", Q);
  await page.press("#question", "Enter");
  await page.locator(".msg.bot button.cite").last().waitFor({ timeout: 20000 });
}

try {
  // ---- a token instead of a password ----
  {
    const page = await (await browser.newContext({ locale: "en-US" })).newPage();
    await page.goto(base + "/");
    await page.locator("#login").waitFor({ state: "visible" });
    await page.click("#token-box summary");
    await page.fill("#token", token);
    await page.click("#token-save");
    assert.ok(await page.locator("#login").isHidden());
    await ask(page);
    await page.reload();
    await page.click("#tab-sources");
    await page.locator("#sources-body tr").first().waitFor();
    assert.ok(await page.locator("#login").isHidden(), "the token was not kept");
    await page.context().close();
  }
  if (user && password) {
    const ctx = await browser.newContext({ locale: "en-US" });
    const page = await ctx.newPage();
    await page.goto(base + "/");
    await page.locator("#login").waitFor({ state: "visible" });
    assert.equal(await page.locator("#login-title").textContent(), "Log in");
    if (shots) await page.screenshot({ path: shots + "/login.png" });

    // a wrong password
    await page.fill("#login-user", user);
    await page.fill("#login-password", password + "-wrong");
    await page.click("#login-submit");
    await page.locator("#login-error").waitFor({ state: "visible" });
    assert.match(await page.locator("#login-error").textContent(), /wrong user name or password/i);

    // the right one
    await page.fill("#login-password", password);
    await page.click("#login-submit");
    await page.locator("#login").waitFor({ state: "hidden" });
    assert.equal(await page.locator("#whoami").textContent(), user);
    const cookies = await ctx.cookies();
    const sess = cookies.find((c) => c.name === "cristal_session");
    assert.ok(sess && sess.httpOnly && sess.sameSite === "Strict", JSON.stringify(cookies));
    assert.ok(!(await page.evaluate(() => document.cookie)).includes("cristal_session"), "the page can read the session");
    await ask(page);
    if (shots) await page.screenshot({ path: shots + "/chat-session.png" });

    // a state change from the page without the CSRF token is refused
    const statuses = await page.evaluate(async (q) => {
      const body = JSON.stringify({ question: q });
      const bare = await fetch("/api/ask", { method: "POST", headers: { "Content-Type": "application/json" }, body });
      const me = await (await fetch("/api/me")).json();
      const wrong = await fetch("/api/ask", {
        method: "POST", headers: { "Content-Type": "application/json", "X-CSRF-Token": "0".repeat(64) }, body });
      const right = await fetch("/api/ask", {
        method: "POST", headers: { "Content-Type": "application/json", "X-CSRF-Token": me.csrf }, body });
      return [bare.status, (await bare.json()).error.message, wrong.status, right.status];
    }, Q);
    assert.equal(statuses[0], 403, JSON.stringify(statuses));
    assert.match(statuses[1], /CSRF/);
    assert.equal(statuses[2], 403, JSON.stringify(statuses));
    assert.equal(statuses[3], 200, JSON.stringify(statuses));

    // an upload too needs the CSRF token (checked before its body is read)
    const ups = await page.evaluate(async () => {
      const me = await (await fetch("/api/me")).json();
      const body = "# Osprey memo\n\nThe Osprey line opens in spring.\n";
      const bare = await fetch("/api/documents?name=osprey.md", { method: "POST", body });
      const right = await fetch("/api/documents?name=osprey.md", { method: "POST", body, headers: { "X-CSRF-Token": me.csrf } });
      return [bare.status, right.status, (await right.json()).document.name];
    });
    assert.deepEqual(ups, [403, 201, `uploads-user-${user}/osprey.md`], JSON.stringify(ups));

    // a reload stays logged in; the sources list loads
    await page.reload();
    await page.locator("#whoami").waitFor({ state: "visible" });
    await page.click("#tab-sources");
    await page.locator("#sources-body tr").first().waitFor();
    assert.ok(await page.locator("#login").isHidden());

    // log-out ends the session on the server too
    await page.click("#logout");
    await page.locator("#login").waitFor({ state: "visible" });
    const after = await page.evaluate(async () => (await fetch("/api/me")).status);
    assert.equal(after, 401);

    // the log-in page in Japanese
    await page.selectOption("#lang", "ja");
    assert.equal(await page.locator("#login-title").textContent(), "ログイン");
    assert.equal(await page.locator("#login-submit").textContent(), "ログイン");
    if (shots) await page.screenshot({ path: shots + "/login-ja.png" });
    await ctx.close();
  }
  console.log("web login: ok");
} finally {
  await browser.close();
}
