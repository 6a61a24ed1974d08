/**
 * The group page against a real server: a group of three accounts (a top account, a subsidiary and
 * its own subsidiary) seeded with revenue in both years, open deals in two currencies and a revenue
 * decline at the subsidiary; reached from the account page, the page shows the members as a tree and
 * the group's exact totals, the change against the year before, the pipeline per currency and the
 * health signal naming the member it comes from (in English and Chinese), and passes axe.
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

const money = (currencyCode, units, nanos = 0) => ({ currencyCode, units: BigInt(units), nanos });

/** The month (UTC) `back` months before this one. */
function monthsAgo(back) {
  const now = new Date();
  const index = now.getUTCFullYear() * 12 + now.getUTCMonth() - back;
  return { year: Math.floor(index / 12), month: (index % 12) + 1 };
}

/**
 * Revenue in the last 12 months (this month included): 1,000.50 + 200.00 + 299.50 = 1,500.00; in the
 * 12 before: 1,000.00 + 1,000.00 + 250.00 = 2,250.00, so −33 %. The subsidiary's last three months
 * (200.00) are 80 % below the same months a year before (1,000.00): its revenue decline is the
 * group's.
 */
async function seedGroup() {
  const admin = api();
  const top = await admin.accounts.createAccount({ account: { displayName: unique("Group Holding") } });
  const sub = await admin.accounts.createAccount({
    account: { displayName: unique("Group Subsidiary"), parentAccountId: top.id },
  });
  const subsub = await admin.accounts.createAccount({
    account: { displayName: unique("Group Plant"), parentAccountId: sub.id },
  });
  const record = (account, back, amount) => ({
    externalId: unique("rev"),
    accountId: account.id,
    period: monthsAgo(back),
    amount,
  });
  await admin.planning.upsertRevenueRecords({
    records: [
      record(top, 0, money("EUR", 1000, 500_000_000)),
      record(top, 12, money("EUR", 1000)),
      record(sub, 1, money("EUR", 200)),
      record(sub, 13, money("EUR", 1000)),
      record(subsub, 5, money("EUR", 299, 500_000_000)),
      record(subsub, 14, money("EUR", 250)),
    ],
  });
  const owner = await newStaff(admin, { name: unique("Gina Owner"), roles: [kam.Role.MANAGER] });
  const deal = (account, amount) =>
    admin.opportunities.createOpportunity({
      opportunity: { accountId: account.id, displayName: unique("Group deal"), amount, ownerStaffId: owner.staff.id },
      requestId: crypto.randomUUID(),
    });
  await deal(top, money("EUR", 10000));
  await deal(subsub, money("EUR", 2500, 500_000_000));
  await deal(sub, money("USD", 500));
  return { top, sub, subsub };
}

test("the group page shows the members as a tree and the group's totals", async () => {
  const { top, sub, subsub } = await seedGroup();
  const page = await openPage(browser);
  await page.goto(`${env.appUrl}/accounts/${top.id}`);
  await page.getByRole("heading", { name: top.displayName }).waitFor();
  await page.getByTestId("group-link").click();
  await page.getByRole("heading", { name: `Group: ${top.displayName}` }).waitFor();
  assert.equal(new URL(page.url()).pathname, `/accounts/${top.id}/group`);

  const totals = page.getByTestId("group-totals");
  await totals.getByTestId("group-revenue").filter({ hasText: "€1,500.00" }).waitFor();
  assert.equal((await totals.getByTestId("group-previous-revenue").innerText()).trim(), "€2,250.00");
  assert.equal((await totals.getByTestId("group-revenue-change").innerText()).trim(), "−33 %");
  const pipeline = await totals.getByTestId("group-open-pipeline").innerText();
  assert.match(pipeline, /€12,500\.50/);
  assert.match(pipeline, /\$500\.00/);
  assert.notEqual((await totals.getByTestId("group-weighted-pipeline").innerText()).trim(), "—");
  assert.match(await totals.getByTestId("group-sla").innerText(), /No targets concluded/);
  assert.match(await totals.getByTestId("group-health").innerText(), /^\d+/);
  assert.match(await totals.getByTestId("group-missing-coverage").innerText(), /\d+ members?/);
  const tierCounts = await totals.getByTestId("group-tiers").locator("li").allInnerTexts();
  const counted = tierCounts.reduce((sum, text) => sum + Number(/: (\d+)$/.exec(text)?.[1] ?? 0), 0);
  assert.equal(counted, 3, `members per tier: ${tierCounts.join(", ")}`);

  // The members: the account first, then depth first, each with its own revenue.
  const members = page.getByTestId("group-members");
  const rows = members.locator("tbody tr");
  assert.equal(await rows.count(), 3);
  assert.deepEqual(
    await rows.evaluateAll((trs) => trs.map((tr) => [tr.dataset.testid, tr.dataset.depth])),
    [
      [`group-member-${top.id}`, "0"],
      [`group-member-${sub.id}`, "1"],
      [`group-member-${subsub.id}`, "2"],
    ],
  );
  await members.getByTestId(`group-member-${top.id}`).getByText("€1,000.50").waitFor();
  await members.getByTestId(`group-member-${sub.id}`).getByText("€200.00").waitFor();
  await members.getByTestId(`group-member-${subsub.id}`).getByText("€299.50").waitFor();
  await members.getByTestId(`group-member-${top.id}`).getByText("1 subsidiary").waitFor();

  // The revenue decline is the subsidiary's: the signal names it and links to it.
  const decline = page.getByTestId(`group-signal-${kam.HealthSignal_Kind.REVENUE_DECLINE}`);
  await decline.getByText("Triggered").waitFor();
  assert.equal(await decline.getByRole("link", { name: sub.displayName }).getAttribute("href"), `/accounts/${sub.id}`);
  assert.match(await decline.innerText(), new RegExp(`${sub.displayName}: revenue of the last 3 months`));

  await screenshot(page, "group");
  await checkA11y(page, "group page");

  // From a subsidiary: its part of the group, and the way to the whole group.
  await members.getByRole("link", { name: sub.displayName }).click();
  await page.getByRole("heading", { name: sub.displayName, exact: true }).waitFor();
  await page.getByTestId("group-link").click();
  await page.getByRole("heading", { name: `Group: ${sub.displayName}` }).waitFor();
  await page.getByTestId("group-revenue").filter({ hasText: "€499.50" }).waitFor();
  assert.equal(await page.getByTestId("group-members").locator("tbody tr").count(), 2);
  await page.getByTestId("whole-group-link").click();
  await page.getByRole("heading", { name: `Group: ${top.displayName}` }).waitFor();

  assert.deepEqual(page.kamErrors, []);
  await page.context().close();
});

test("the group page in Chinese", async () => {
  const { top } = await seedGroup();
  const page = await openPage(browser, { locale: "zh-CN" });
  await page.goto(`${env.appUrl}/accounts/${top.id}/group`);
  await page.getByRole("heading", { name: `集团：${top.displayName}` }).waitFor();
  await page.getByRole("heading", { name: "集团概况" }).waitFor();
  await page.getByTestId("group-revenue").filter({ hasText: "€1,500.00" }).waitFor();
  assert.equal((await page.getByTestId("group-revenue-change").innerText()).trim(), "−33%");
  await page.getByTestId(`group-signal-${kam.HealthSignal_Kind.REVENUE_DECLINE}`).getByText("已触发").waitFor();
  await screenshot(page, "group-zh-CN");
  await checkA11y(page, "group page zh-CN");
  assert.deepEqual(page.kamErrors, []);
  await page.context().close();
});

test("an account without a parent or subsidiaries has no group link", async () => {
  const admin = api();
  const alone = await admin.accounts.createAccount({ account: { displayName: unique("Standalone") } });
  const page = await openPage(browser);
  await page.goto(`${env.appUrl}/accounts/${alone.id}`);
  await page.getByTestId("visit-brief-link").waitFor();
  await page.getByTestId("health-section").waitFor();
  assert.equal(await page.getByTestId("group-link").count(), 0);
  await page.context().close();
});
