/**
 * My accounts and the account page: an admin creates an account through the form and staffs its
 * team (the coverage gaps shrink), a MEMBER sees only the accounts of its teams and is refused
 * another's page, and the key people's reporting lines are drawn as a tree. Both pages pass axe-core
 * with data on them.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { api, checkA11y, env, kam, launch, newStaff, openPage, screenshot, unique } from "./harness.mjs";

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

/** Polls `read` until `check` holds on its value (or the time is up), returning the last value. */
async function eventually(read, check, { timeout = 15_000, interval = 100 } = {}) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await read();
    if (check(value)) return value;
    if (Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}

const openAccount = async (page, id) => {
  await page.goto(`${env.appUrl}/accounts/${encodeURIComponent(id)}`);
};

test("create an account and staff a team", async () => {
  const admin = api();
  const name = unique("Harbin Turbine");
  const page = await openPage(browser);

  // The form: a refusal names its field, then a valid account opens at once.
  await page.getByRole("button", { name: "New account" }).click();
  const form = page.getByRole("form", { name: "New account" });
  await form.getByRole("button", { name: "Create account" }).click();
  const refusal = form.getByRole("alert");
  await refusal.waitFor();
  assert.equal(await refusal.getAttribute("data-code"), "InvalidArgument");
  await form.locator(".field-error").first().waitFor();

  await form.getByLabel("Display name").fill(name);
  await form.getByLabel("Legal name").fill(`${name} Co., Ltd.`);
  await form.getByLabel("Industry", { exact: true }).fill("Power equipment");
  await form.getByLabel("Region", { exact: true }).fill("Northeast");
  await form.getByLabel("Lifecycle").selectOption({ label: "Active" });
  await form.getByRole("button", { name: "Create account" }).click();
  await page.getByRole("heading", { level: 1, name }).waitFor();
  const id = decodeURIComponent(new URL(page.url()).pathname.split("/").pop());
  const created = await admin.accounts.getAccount({ id });
  assert.equal(created.displayName, name);
  assert.equal(created.industry, "Power equipment");
  assert.equal(created.lifecycle, kam.Lifecycle.ACTIVE);

  // A KEY account must have an account manager, a sponsor and a customer-service liaison.
  await admin.planning.setTierOverride({ tierOverride: { accountId: id, tier: kam.Tier.KEY, reason: "e2e: key account" } });
  await page.reload();
  const coverage = page.getByTestId("coverage-gaps");
  const missingRoles = coverage.getByTestId("missing-roles");
  await missingRoles.getByText("Account manager").waitFor();
  await missingRoles.getByText("Executive sponsor").waitFor();
  await page.locator(".tier-changes").getByText("Standard → Key").waitFor();

  // Add a staff member seeded through the API as the account manager.
  const person = unique("Zhao Lei");
  const { staff } = await newStaff(admin, { name: person, roles: [kam.Role.MEMBER] });
  const add = page.getByRole("form", { name: "Add a team member" });
  await add.getByLabel("Find staff").fill(person);
  const option = add.getByLabel("Staff member").locator("option", { hasText: person });
  await option.waitFor({ state: "attached" });
  await add.getByLabel("Staff member").selectOption(staff.id);
  await add.getByLabel("Team role").selectOption({ label: "Account manager" });
  await add.getByRole("button", { name: "Add to team" }).click();

  const row = page.getByTestId("team-members").getByRole("row", { name: new RegExp(person) });
  await row.waitFor();
  assert.match(await row.innerText(), /Account manager/);
  // The gap it filled is gone; the others remain.
  await missingRoles.getByText("Account manager").waitFor({ state: "detached" });
  assert.ok(await missingRoles.getByText("Executive sponsor").isVisible());
  const members = await admin.teams.listTeamMembers({ accountId: id });
  assert.deepEqual(
    members.members.map((m) => [m.staffId, m.role]),
    [[staff.id, kam.TeamRole.ACCOUNT_MANAGER]],
  );

  // An edit made elsewhere first: the page's etag no longer matches and the server's refusal shows.
  await page.getByRole("button", { name: "Edit account" }).click();
  const edit = page.getByRole("form", { name: "Edit account" });
  await edit.getByLabel("Region", { exact: true }).fill("Heilongjiang");
  const current = await admin.accounts.getAccount({ id });
  await admin.accounts.updateAccount({ account: { id, etag: current.etag, industry: "Turbines" }, updateMask: { paths: ["industry"] } });
  await edit.getByRole("button", { name: "Save changes" }).click();
  const aborted = edit.getByRole("alert");
  await aborted.waitFor();
  assert.equal(await aborted.getAttribute("data-code"), "Aborted");
  assert.notEqual((await aborted.locator(".error-message").innerText()).trim(), "");
  await edit.getByRole("button", { name: "Cancel" }).click();

  await checkA11y(page, "account page with a team");
  await screenshot(page, "account-page");
  assert.deepEqual(page.kamErrors, []);
  await page.context().close();
});

test("a MEMBER sees only its accounts", async () => {
  const admin = api();
  const prefix = unique("Scoped");
  const mine = await admin.accounts.createAccount({
    account: { displayName: `${prefix} Anshan Steel`, industry: "Steel", region: "Northeast" },
  });
  const other = await admin.accounts.createAccount({
    account: { displayName: `${prefix} Baotou Rare Earth`, industry: "Mining", region: "North" },
  });
  const { staff, key } = await newStaff(admin, { name: unique("Member"), roles: [kam.Role.MEMBER] });
  await admin.teams.addTeamMember({
    member: { accountId: mine.id, staffId: staff.id, role: kam.TeamRole.SALES_SPECIALIST },
  });

  const page = await openPage(browser, { key });
  const list = page.getByTestId("account-list");
  await list.waitFor();
  await page.getByRole("searchbox", { name: "Search" }).fill(prefix);
  const bodyRows = list.locator("tbody tr");
  const names = await eventually(
    () => bodyRows.locator("th").allInnerTexts(),
    (texts) => texts.length === 1 && texts[0].includes("Anshan"),
  );
  assert.deepEqual(names.map((text) => text.split("\n")[0]), [`${prefix} Anshan Steel`]);
  // The row's health score arrives from the portfolio report (no request per row).
  const health = bodyRows.first().locator("td").nth(1);
  await eventually(
    () => health.innerText(),
    (text) => /^\d+$/.test(text.trim()),
    { timeout: 30_000 },
  );
  assert.match((await health.innerText()).trim(), /^\d+$/);
  assert.equal(await page.getByRole("button", { name: "New account" }).count(), 0, "a MEMBER creates no accounts");
  await checkA11y(page, "my accounts as a member");
  await screenshot(page, "accounts-list");

  // The other account's address: the server's refusal.
  await openAccount(page, other.id);
  const alert = page.getByRole("alert");
  await alert.waitFor();
  assert.equal(await alert.getAttribute("data-code"), "PermissionDenied");
  assert.equal(await page.getByText("Baotou Rare Earth").count(), 0);
  await page.context().close();
});

test("the industry filter is the server's: it finds accounts not loaded yet", async () => {
  const admin = api();
  const prefix = unique("Sector");
  const industry = unique("Rare earths");
  await admin.accounts.createAccount({ account: { displayName: `${prefix} Baotou Magnets`, industry } });
  await admin.accounts.createAccount({ account: { displayName: `${prefix} Anshan Rolling`, industry: "Steel" } });

  const page = await openPage(browser);
  const list = page.getByTestId("account-list");
  await list.waitFor();
  // Only the industry, not the name: the account is found wherever it would be in the full list.
  await page.getByRole("combobox", { name: "Industry as written" }).fill(industry);
  const names = await eventually(
    () => list.locator("tbody tr th").allInnerTexts(),
    (texts) => texts.length === 1,
  );
  assert.equal(names[0].split("\n")[0], `${prefix} Baotou Magnets`);
  await page.context().close();
});

test("the reports-to tree shows a seeded chain of contacts", async () => {
  const admin = api();
  const account = await admin.accounts.createAccount({ account: { displayName: unique("Sinopec Unit") } });
  const contact = (fullName, extra) =>
    admin.accounts.createContact({ contact: { accountId: account.id, fullName, ...extra } });
  const ceo = await contact(unique("Chen CEO"), {
    title: "General manager",
    buyingRole: kam.BuyingRole.DECISION_MAKER,
    man: { hasMoney: true, hasAuthority: true, hasNeed: false },
    attitude: kam.Attitude.SUPPORTER,
  });
  const director = await contact(unique("Liu Director"), {
    title: "Procurement director",
    reportsToContactId: ceo.id,
    buyingRole: kam.BuyingRole.GATEKEEPER,
  });
  const engineer = await contact(unique("Sun Engineer"), {
    title: "Maintenance engineer",
    reportsToContactId: director.id,
    buyingRole: kam.BuyingRole.USER,
    man: { hasNeed: true },
  });

  const page = await openPage(browser);
  await openAccount(page, account.id);
  const chart = page.getByTestId("reports-to");
  const chain = chart.locator(
    `li[data-contact-id="${ceo.id}"] > ul > li[data-contact-id="${director.id}"] > ul > li[data-contact-id="${engineer.id}"]`,
  );
  await chain.waitFor();
  assert.match(await chain.innerText(), /Sun Engineer/);
  // The top of the chain is a root of the chart.
  assert.equal(await chart.locator(`:scope > ul > li[data-contact-id="${ceo.id}"]`).count(), 1);

  const ceoRow = page.getByTestId("contacts").getByRole("row", { name: new RegExp(ceo.fullName) });
  const ceoText = await ceoRow.innerText();
  assert.match(ceoText, /Decision maker/);
  assert.match(ceoText, /Money/);
  assert.match(ceoText, /Authority/);
  assert.doesNotMatch(ceoText, /Need/);
  assert.match(ceoText, /Supporter/);

  // Every section of the page is reachable from its contents.
  const contents = page.getByRole("navigation", { name: "On this page" });
  for (const name of ["Team", "Key people", "Health", "Account plan", "Opportunities", "Service requests", "Revenue", "Interactions"]) {
    await contents.getByRole("link", { name, exact: true }).click();
    const target = (await contents.getByRole("link", { name, exact: true }).getAttribute("href")).slice(1);
    assert.equal(await page.locator(`#${target}`).count(), 1, `${name} is on the page`);
  }
  await checkA11y(page, "account page with key people");
  await screenshot(page, "account-key-people");
  await page.context().close();
});
