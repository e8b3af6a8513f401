// web_login.mjs BASE_URL TOKEN — the web UI against a server with users:
// the first API call is refused, the page asks for a token, and with the
// token given the question is answered; the token is kept for the next
// visit (localStorage).
import { chromium } from "playwright-core";
import assert from "node:assert/strict";

const [base, token] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CR_CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
});
try {
  const page = await (await browser.newContext({ locale: "en-US" })).newPage();
  await page.goto(base + "/");
  assert.ok(await page.locator("#login").isHidden());
  await page.fill("#question", "How many days of annual leave do employees get?");
  await page.press("#question", "Enter");
  await page.locator("#login").waitFor({ state: "visible" });
  await page.locator(".msg.bot .error").waitFor();
  await page.fill("#token", token);
  await page.click("#login-form button");
  assert.ok(await page.locator("#login").isHidden());
  await page.fill("#question", "How many days of annual leave do employees get?");
  await page.press("#question", "Enter");
  await page.locator(".msg.bot button.cite").first().waitFor({ timeout: 20000 });
  await page.reload();
  await page.click("#tab-sources");
  await page.locator("#sources-body tr").first().waitFor();
  assert.ok(await page.locator("#login").isHidden());
  console.log("web login: ok");
} finally {
  await browser.close();
}
