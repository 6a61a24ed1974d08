/**
 * The same page in Chinese: a person whose app is in Simplified Chinese sees the navigation and their
 * accounts in Chinese, and switching the language selector changes the text in place, without a reload,
 * with the page's `lang` following (screen readers and fonts depend on it).
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { checkA11y, launch, openPage, screenshot } from "./harness.mjs";

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

const HAN = /[\u4e00-\u9fff]/;

test("the same page in Chinese, then switched to English without a reload", async () => {
  const page = await openPage(browser, { locale: "zh-CN" });
  const nav = page.locator("header nav");

  // Chinese: navigation, roles, the My accounts page itself.
  await nav.getByRole("link", { name: "我的客户" }).waitFor();
  for (const section of ["商机漏斗", "服务看板", "客户分级", "团队"]) {
    assert.ok(await nav.getByRole("link", { name: section, exact: true }).isVisible(), `nav shows ${section}`);
  }
  assert.equal(await nav.getByRole("link", { name: "我的客户" }).locator("xpath=..").getAttribute("aria-current"), "page");
  assert.match(await page.locator(".who-roles").innerText(), /管理员/);
  assert.equal(await page.getByRole("button", { name: "退出登录" }).count(), 1);
  const main = page.locator("main#content");
  await main.getByRole("heading").first().waitFor();
  assert.match(await main.getByRole("heading").first().innerText(), HAN, "the My accounts page has a Chinese heading");
  assert.equal(await page.evaluate(() => document.documentElement.lang), "zh-CN");
  await checkA11y(page, "my accounts zh-CN");
  await screenshot(page, "accounts-zh-CN");

  // Switch to English: a marker on `window` would vanish with a reload.
  await page.evaluate(() => {
    window.kamNotReloaded = true;
  });
  await page.getByRole("combobox", { name: "Language / 语言" }).selectOption("en");
  await nav.getByRole("link", { name: "My accounts" }).waitFor();
  assert.equal(await nav.getByRole("link", { name: "我的客户" }).count(), 0);
  assert.ok(await nav.getByRole("link", { name: "Funnel", exact: true }).isVisible());
  assert.match(await page.locator(".who-roles").innerText(), /Admin/);
  assert.equal(await page.getByRole("button", { name: "Sign out" }).count(), 1);
  assert.doesNotMatch(await main.getByRole("heading").first().innerText(), HAN);
  assert.equal(await page.evaluate(() => document.documentElement.lang), "en");
  assert.equal(await page.evaluate(() => window.kamNotReloaded), true, "switching the language reloaded the page");
  // The choice is remembered on this browser.
  assert.equal(await page.evaluate(() => localStorage.getItem("kam.locale")), "en");
  await screenshot(page, "accounts-en-after-switch");

  assert.deepEqual(page.kamErrors, []);
  await page.context().close();
});
