/**
 * The tiers page: the preview ranking proposes STRATEGIC for the account with the most revenue, a
 * manager applies it and the account's tier changes (in the page and in the API); overrides are set,
 * refused with the field at fault, and cleared; a team member sees no ranking and no Apply.
 *
 * RecomputeTiers ranks every live account of the shared server, so the revenue seeded here is far
 * above anything else, and the seeded accounts are deleted afterwards (deleted accounts are not ranked).
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { api, checkA11y, env, kam, launch, newStaff, openPage, screenshot, unique } from "./harness.mjs";

let browser;
const seededAccounts = [];

before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
  const admin = api();
  for (const id of seededAccounts) {
    await admin.accounts.deleteAccount({ id }).catch(() => undefined);
  }
});

/** The month before now (UTC): inside the trailing year of a ranking as of now. */
function lastMonth(monthsBack = 1) {
  const now = new Date();
  const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - monthsBack, 1));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1 };
}

const eur = (units) => ({ currencyCode: "EUR", units, nanos: 0 });

/** Accounts with revenue records, by default the first with an amount that dwarfs the whole server's. */
async function seedRanking(client, amounts = [900_000_000_000_000n, 2_500_000n, 1_000n]) {
  const accounts = [];
  for (const [index, amount] of amounts.entries()) {
    const account = await client.accounts.createAccount({ account: { displayName: unique(`Tier Co ${index + 1}`) } });
    seededAccounts.push(account.id);
    accounts.push(account);
    await client.planning.upsertRevenueRecords({
      records: [
        { externalId: unique("rev-a").replace(/\s+/g, "-"), accountId: account.id, period: lastMonth(1), amount: eur(amount / 2n) },
        { externalId: unique("rev-b").replace(/\s+/g, "-"), accountId: account.id, period: lastMonth(2), amount: eur(amount - amount / 2n) },
      ],
    });
  }
  return accounts;
}

async function openTiers(options) {
  const page = await openPage(browser, options);
  await page.goto(`${env.appUrl}/tiers`);
  await page.getByRole("heading", { level: 1, name: "Account tiers" }).waitFor();
  return page;
}

/** The ranking row of an account, found through the table's search box. */
async function rankingRow(page, account) {
  await page.getByLabel("Find account").fill(account.displayName);
  const row = page.getByTestId("ranking-table").locator(`tr[data-account-id="${account.id}"]`);
  await row.waitFor();
  return row;
}

test("the preview proposes STRATEGIC for the largest account; applying stores it", async () => {
  const client = api();
  const [largest] = await seedRanking(client);

  const preview = await client.planning.recomputeTiers({ validateOnly: true, rowLimit: 10000 });
  const proposed = preview.rows.find((row) => row.accountId === largest.id);
  assert.equal(proposed?.newTier, kam.Tier.STRATEGIC, "the API's preview proposes STRATEGIC");
  assert.equal((await client.accounts.getAccount({ id: largest.id })).tier, kam.Tier.STANDARD, "nothing stored yet");

  const page = await openTiers();
  await page.getByTestId("pareto-chart").waitFor();
  await page.getByTestId("preview-summary").getByText("A preview: nothing is stored").waitFor();
  const row = await rankingRow(page, largest);
  assert.match(await row.getByTestId("tier-change").innerText(), /Standard\s*→\s*Strategic/);
  assert.match(await row.innerText(), /€/);
  await page.getByLabel("Find account").fill("");
  await checkA11y(page, "tiers preview");
  await screenshot(page, "tiers-preview");

  await page.getByRole("button", { name: "Apply ranking…" }).click();
  const confirm = page.getByRole("group", { name: "Apply the ranking?" });
  await confirm.getByRole("button", { name: "Apply now" }).click();
  const result = page.getByTestId("applied-result");
  await result.getByText("Ranking applied").waitFor();
  await result.getByRole("link", { name: largest.displayName }).waitFor();

  assert.equal((await client.accounts.getAccount({ id: largest.id })).tier, kam.Tier.STRATEGIC, "the API shows it stored");
  // The preview is loaded again: the account now is STRATEGIC and stays so.
  const after = await rankingRow(page, largest);
  await after.getByText("(unchanged)").waitFor();
  assert.match(await after.getByTestId("tier-change").innerText(), /Strategic/);
  // And the change is in the history.
  await page.getByTestId("tier-changes-table").getByRole("link", { name: largest.displayName }).first().waitFor();
  await screenshot(page, "tiers-applied");
  assert.deepEqual(page.kamErrors, []);
  await page.context().close();
});

test("an override is refused without a reason, then set and cleared", async () => {
  const client = api();
  const [middle] = await seedRanking(client, [2_500_000n]);
  const page = await openTiers();
  const row = await rankingRow(page, middle);
  await row.getByRole("button", { name: `Override tier of ${middle.displayName}` }).click();
  const form = page.getByRole("form", { name: "Set an override" });
  assert.equal(await form.getByLabel("Account").inputValue(), middle.id);
  await form.getByLabel("Tier", { exact: true }).selectOption({ label: "Key" });

  // No reason: the server names the field.
  await form.getByRole("button", { name: "Set override" }).click();
  const refusal = form.getByRole("alert");
  await refusal.waitFor();
  assert.equal(await refusal.getAttribute("data-code"), "InvalidArgument");
  assert.ok((await refusal.locator("li[data-field]").getAttribute("data-field")).includes("reason"));
  await checkA11y(page, "tiers override error");

  await form.getByLabel("Reason (required, up to 500 characters)").fill("reference customer in a new market");
  await form.getByLabel("Expires on (optional)").fill("2099-12-31");
  await form.getByRole("button", { name: "Set override" }).click();
  const listed = page.getByTestId("overrides-table").locator(`tr[data-account-id="${middle.id}"]`);
  await listed.getByText("reference customer in a new market").waitFor();
  assert.match(await listed.innerText(), /Key/);
  const { tierOverrides } = await client.planning.listTierOverrides({ pageSize: 1000 });
  const stored = tierOverrides.find((o) => o.accountId === middle.id);
  assert.equal(stored?.tier, kam.Tier.KEY);
  assert.ok(stored?.expireTime, "the expiry is stored");
  assert.equal((await client.accounts.getAccount({ id: middle.id })).tier, kam.Tier.KEY, "applies at once");
  await screenshot(page, "tiers-override");

  await listed.getByRole("button", { name: `Clear override of ${middle.displayName}` }).click();
  await page.getByText(`Override of ${middle.displayName} cleared.`).waitFor();
  await listed.waitFor({ state: "detached" });
  const afterClear = await client.planning.listTierOverrides({ pageSize: 1000 });
  assert.equal(afterClear.tierOverrides.find((o) => o.accountId === middle.id), undefined);
  assert.deepEqual(page.kamErrors, []);
  await page.context().close();
});

test("a team member sees overrides and changes but no ranking and no Apply", async () => {
  const { key } = await newStaff(api(), { roles: [kam.Role.MEMBER] });
  const page = await openTiers({ key });
  await page.getByText("The ranking by revenue is computed by managers").waitFor();
  await page.getByRole("heading", { name: "Tier overrides" }).waitFor();
  await page.getByRole("heading", { name: "Recent tier changes" }).waitFor();
  assert.equal(await page.getByRole("button", { name: "Apply ranking…" }).count(), 0);
  assert.equal(await page.getByTestId("ranking-table").count(), 0);
  assert.equal(await page.getByRole("form", { name: "Set an override" }).count(), 0);
  await checkA11y(page, "tiers as member");
  await page.context().close();
});

test("the page speaks Chinese", async () => {
  await seedRanking(api(), [3_000n]);
  const page = await openPage(browser, { locale: "zh-CN" });
  await page.goto(`${env.appUrl}/tiers`);
  await page.getByRole("heading", { level: 1, name: "客户分级" }).waitFor();
  await page.getByRole("heading", { name: "排名预览" }).waitFor();
  await page.getByRole("button", { name: "应用排名…" }).waitFor();
  await page.getByRole("img", { name: /营收帕累托曲线/ }).waitFor();
  await checkA11y(page, "tiers zh-CN");
  await screenshot(page, "tiers-zh-CN");
  assert.deepEqual(page.kamErrors, []);
  await page.context().close();
});
