/**
 * Signing in and out: the credential is kept for the tab only (sessionStorage), a refusal shows the
 * server's own message, and the sign-in page is accessible, free of console errors and CSP violations,
 * in English and Chinese.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { api, checkA11y, env, kam, launch, newStaff, openPage, openSignIn, screenshot, signIn, unique } from "./harness.mjs";

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

const credentialStored = (page) => page.evaluate(() => sessionStorage.getItem("kam.credential"));

test("signing in with the admin key shows the app with the caller's name and roles", async () => {
  const me = await api().identity.whoAmI({});
  const page = await openPage(browser);
  await page.locator(".who-name").filter({ hasText: me.fullName || me.email }).waitFor();
  assert.match(await page.locator(".who-roles").innerText(), /Admin/);
  await page.context().close();
});

test("a staff member's own key shows their name and every role", async () => {
  const name = unique("Wang Fang");
  const { key } = await newStaff(api(), { name, roles: [kam.Role.MANAGER, kam.Role.SERVICE_AGENT] });
  const page = await openPage(browser, { key });
  assert.equal(await page.locator(".who-name").innerText(), name);
  const roles = await page.locator(".who-roles").innerText();
  assert.match(roles, /Manager/);
  assert.match(roles, /Service agent/);
  assert.doesNotMatch(roles, /Admin/);
  await page.context().close();
});

test("a wrong key shows the server's refusal on the sign-in form", async () => {
  const wrongKey = "kam_00000000_not-a-real-secret";
  const refusal = await api(wrongKey).identity.whoAmI({}).then(
    () => assert.fail("the server accepted a made-up key"),
    (error) => kam.describeError(error),
  );
  assert.equal(refusal.code, kam.Code.Unauthenticated);

  const page = await openSignIn(browser);
  await signIn(page, wrongKey);
  const notice = page.getByRole("alert");
  await notice.waitFor();
  assert.equal(await notice.getAttribute("data-code"), "Unauthenticated");
  assert.equal(await notice.locator(".error-message").innerText(), refusal.message);
  // Still the sign-in form, and nothing kept.
  assert.ok(await page.locator('input[name="credential"]').isVisible());
  assert.equal(await credentialStored(page), null);
  await page.context().close();
});

test("a reload while signed in keeps the session for the tab", async () => {
  const page = await openPage(browser);
  assert.equal(await credentialStored(page), env.adminKey);
  await page.reload();
  await page.locator("header nav").waitFor();
  assert.equal(await page.locator('input[name="credential"]').count(), 0);
  await page.context().close();
});

test("signing out returns to the sign-in form and forgets the credential", async () => {
  const page = await openPage(browser);
  await page.locator("header").getByRole("button", { name: "Sign out" }).click();
  await page.locator('input[name="credential"]').waitFor();
  assert.equal(await page.locator('input[name="credential"]').inputValue(), "");
  assert.equal(await page.evaluate(() => sessionStorage.length), 0);
  await page.reload();
  await page.locator('input[name="credential"]').waitFor();
  assert.equal(await page.locator("header nav").count(), 0);
  await page.context().close();
});

for (const locale of ["en", "zh-CN"]) {
  test(`the sign-in page in ${locale}: accessible, no console errors or CSP violations`, async () => {
    const page = await openSignIn(browser, { locale });
    const title = locale === "en" ? "Sign in to KAM" : "登录 KAM";
    await page.getByRole("heading", { name: title }).waitFor();
    assert.equal(await page.evaluate(() => document.documentElement.lang), locale);
    // The credential field is reachable by its label.
    const label = locale === "en" ? "API key or SSO token" : "API 密钥或单点登录令牌";
    assert.equal(await page.getByLabel(label).getAttribute("name"), "credential");
    await checkA11y(page, `sign-in ${locale}`);
    await screenshot(page, `signin-${locale}`);
    assert.deepEqual(page.kamErrors, []);
    await page.context().close();
  });
}

test("a key revoked while the tab is open ends the session with the server's refusal", async () => {
  const { key } = await newStaff(api(), { roles: [kam.Role.MANAGER] });
  const page = await openPage(browser, { key });
  const { apiKeyId } = await api(key).identity.whoAmI({});
  await api().identity.revokeApiKey({ id: apiKeyId });

  // The next call the app makes is refused: back to the sign-in form, with the refusal, nothing kept.
  await page.getByRole("navigation").getByRole("link", { name: "Funnel" }).click();
  const notice = page.getByRole("alert");
  await notice.waitFor();
  assert.equal(await notice.getAttribute("data-code"), "Unauthenticated");
  assert.ok(await page.locator('input[name="credential"]').isVisible());
  assert.equal(await credentialStored(page), null);
  await page.context().close();
});
