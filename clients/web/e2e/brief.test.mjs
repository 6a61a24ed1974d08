/**
 * The visit brief and the account's key dates against a real server: an account seeded through the API
 * with something in every part of its brief; the brief, reached from the account page, shows each part
 * (in English and Chinese), follows the horizon chosen, prints without the app's frame on A4, and
 * passes axe; the account's key dates are edited on the account page, the server's refusal shown.
 */
import assert from "node:assert/strict";
import { mkdir } from "node:fs/promises";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { api, checkA11y, env, kam, launch, newStaff, openPage, screenshot, unique } from "./harness.mjs";

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

const DAY = 86_400_000;
const EUR = (units, nanos = 0) => ({ currencyCode: "EUR", units: BigInt(units), nanos });

/** The calendar date (UTC) `days` from today. */
function inDays(days) {
  const date = new Date(Date.now() + days * DAY);
  return { year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate() };
}

/** The month (UTC) `back` months before this one. */
function monthsAgo(back) {
  const now = new Date();
  const index = now.getUTCFullYear() * 12 + now.getUTCMonth() - back;
  return { year: Math.floor(index / 12), month: (index % 12) + 1 };
}

function toTimestamp(date) {
  const millis = date.getTime();
  return { seconds: BigInt(Math.floor(millis / 1000)), nanos: (millis % 1000) * 1_000_000 };
}

/** An account with something in every part of its brief; opened by a MANAGER who is its account manager. */
async function seedAccount() {
  const admin = api();
  const manager = await newStaff(admin, { name: unique("Mia Manager"), roles: [kam.Role.MANAGER] });
  const ownerId = manager.staff.id;
  const account = await admin.accounts.createAccount({
    account: {
      displayName: unique("Brief Pumps"),
      region: "APAC",
      keyDates: [{ kind: kam.KeyDateKind.CONTRACT_RENEWAL, label: "Framework agreement", date: inDays(12), oneTime: true }],
    },
  });
  await admin.teams.addTeamMember({
    member: { accountId: account.id, staffId: ownerId, role: kam.TeamRole.ACCOUNT_MANAGER },
  });
  const birthday = inDays(3);
  const contact = await admin.accounts.createContact({
    contact: {
      accountId: account.id,
      fullName: unique("Lena Decider"),
      title: "Plant manager",
      buyingRole: kam.BuyingRole.DECISION_MAKER,
      man: { hasMoney: true, hasAuthority: true },
      keyDates: [{ kind: kam.KeyDateKind.BIRTHDAY, date: { year: 0, month: birthday.month, day: birthday.day } }],
    },
  });
  const opportunity = await admin.opportunities.createOpportunity({
    opportunity: {
      accountId: account.id,
      displayName: unique("Dosing line retrofit"),
      amount: EUR(125000, 500_000_000),
      expectedCloseDate: inDays(40),
      ownerStaffId: ownerId,
      nextStep: "Send the revised quote",
    },
    requestId: crypto.randomUUID(),
  });
  const request = await admin.serviceLevels.createServiceRequest({
    serviceRequest: { accountId: account.id, title: unique("Seal leaking on P-12"), priority: kam.Priority.P1 },
    requestId: crypto.randomUUID(),
  });
  const plan = await admin.planning.createAccountPlan({
    plan: {
      accountId: account.id,
      name: unique("Plan"),
      periodStart: inDays(-30),
      periodEnd: inDays(300),
      objectives: [{ metric: "Plants on the framework", targetValue: 4n, currentValue: 1n }],
    },
    requestId: crypto.randomUUID(),
  });
  await admin.planning.changeAccountPlanStatus({ id: plan.id, status: kam.AccountPlan_Status.ACTIVE, etag: plan.etag });
  const action = async (title, days) =>
    admin.planning.createPlanAction({
      action: { planId: plan.id, title: unique(title), ownerStaffId: ownerId, dueDate: inDays(days) },
      requestId: crypto.randomUUID(),
    });
  const overdue = await action("Visit the plant", -2);
  const soon = await action("Workshop with maintenance", 10);
  const later = await action("Quarterly review", 60);
  const visit = await admin.planning.logInteraction({
    interaction: {
      accountId: account.id,
      type: kam.Interaction_Type.SALES_VISIT,
      occurTime: toTimestamp(new Date(Date.now() - 2 * DAY)),
      staffIds: [ownerId],
      summary: unique("Walked line 3 with the plant manager"),
      nextStep: "Quote by Friday",
      satisfaction: 4,
    },
    requestId: crypto.randomUUID(),
  });
  // 1,200.50 this month against 1,000.00 the same month a year before: +20 %.
  await admin.planning.upsertRevenueRecords({
    records: [
      { externalId: unique("rev-now"), accountId: account.id, period: monthsAgo(0), amount: EUR(1200, 500_000_000) },
      { externalId: unique("rev-before"), accountId: account.id, period: monthsAgo(12), amount: EUR(1000, 400_000_000) },
    ],
  });
  return { manager, account, contact, opportunity, request, plan, overdue, soon, later, visit };
}

/** One part of the brief, found by its heading. */
const part = (page, name) => page.getByRole("region", { name, exact: true });

test("the brief shows every part of the account, follows the horizon and prints on A4", async () => {
  const seeded = await seedAccount();
  const page = await openPage(browser, { key: seeded.manager.key });
  await page.goto(`${env.appUrl}/accounts/${seeded.account.id}`);
  await page.getByRole("link", { name: "Visit brief" }).click();
  await page.getByRole("heading", { name: `Visit brief: ${seeded.account.displayName}` }).waitFor();
  assert.equal(new URL(page.url()).pathname, `/accounts/${seeded.account.id}/brief`);
  // The top bar's "My accounts" stays the current section.
  assert.equal(
    await page.locator("header nav").getByRole("link", { name: "My accounts" }).locator("xpath=..").getAttribute("aria-current"),
    "page",
  );

  await part(page, "Health").getByTestId("brief-health-level").waitFor();
  const revenue = part(page, "Revenue trend");
  await revenue.getByTestId("brief-revenue-trailing").filter({ hasText: "€1,200.50" }).waitFor();
  await revenue.getByTestId("brief-revenue-before").filter({ hasText: "€1,000.40" }).waitFor();
  await revenue.getByTestId("brief-revenue-change").filter({ hasText: "+20 %" }).waitFor();

  const team = part(page, "Our team");
  await team.getByRole("row").filter({ hasText: seeded.manager.staff.fullName }).getByText("Account manager").waitFor();

  const people = part(page, "Key people").getByTestId(`brief-person-${seeded.contact.id}`);
  await people.getByText("Decision maker").waitFor();
  await people.getByText("Money, Authority").waitFor();

  const keyDates = part(page, "Key dates ahead");
  const rows = keyDates.locator("tbody tr");
  assert.equal(await rows.count(), 2);
  assert.match(await rows.nth(0).innerText(), new RegExp(`In 3 days\\s+${seeded.contact.fullName}\\s+Birthday`));
  assert.match(await rows.nth(1).innerText(), /In 12 days\s+The account\s+Contract renewal · Once\s+Framework agreement/);

  const deal = part(page, "Open opportunities").getByTestId(`brief-opportunity-${seeded.opportunity.id}`);
  await deal.getByText("€125,000.50").waitFor();
  await deal.getByText("Send the revised quote").waitFor();
  await deal.getByText(seeded.manager.staff.fullName).waitFor();

  const service = part(page, "Open service requests").getByTestId(`brief-request-${seeded.request.id}`);
  assert.equal(await service.getByRole("link", { name: seeded.request.title }).getAttribute("href"), `/service/${seeded.request.id}`);
  await service.getByText("P1 critical").waitFor();

  const plan = part(page, "Account plan");
  await plan.getByRole("heading", { name: seeded.plan.name }).waitFor();
  await plan.getByRole("row").filter({ hasText: "Plants on the framework" }).getByText("1 of 4 (25 %)").waitFor();

  const actions = part(page, "Plan actions due");
  assert.equal(await actions.getByTestId(`brief-action-${seeded.overdue.id}`).getAttribute("data-overdue"), "true");
  await actions.getByTestId(`brief-action-${seeded.overdue.id}`).getByText("Overdue").waitFor();
  assert.equal(await actions.getByTestId(`brief-action-${seeded.soon.id}`).getAttribute("data-overdue"), "false");
  assert.equal(await actions.getByTestId(`brief-action-${seeded.later.id}`).count(), 0, "60 days out is beyond 30");

  const interaction = part(page, "Recent interactions").getByTestId(`brief-interaction-${seeded.visit.id}`);
  await interaction.getByText(seeded.visit.summary).waitFor();
  await interaction.getByText("Quote by Friday").waitFor();
  await part(page, "Overdue contact cadence").waitFor();

  await screenshot(page, "brief");
  await checkA11y(page, "visit brief");

  // 90 days ahead: the quarterly review appears, and the address says so.
  await page.getByRole("combobox", { name: "Look ahead" }).selectOption("90");
  await actions.getByTestId(`brief-action-${seeded.later.id}`).waitFor();
  assert.equal(new URL(page.url()).search, "?horizon=90");
  await page.reload();
  await part(page, "Plan actions due").getByTestId(`brief-action-${seeded.later.id}`).waitFor();
  assert.equal(await page.getByRole("combobox", { name: "Look ahead" }).inputValue(), "90");

  // Print: the button asks the browser to print; on paper there is no navigation and no controls.
  await page.evaluate(() => {
    window.kamPrinted = 0;
    window.print = () => {
      window.kamPrinted += 1;
    };
  });
  await page.getByRole("button", { name: "Print" }).click();
  assert.equal(await page.evaluate(() => window.kamPrinted), 1);
  await page.emulateMedia({ media: "print" });
  assert.equal(await page.locator("header.top-bar").isVisible(), false, "no navigation on paper");
  assert.equal(await page.getByRole("button", { name: "Print" }).isVisible(), false, "no controls on paper");
  assert.ok(await part(page, "Key people").isVisible());
  await screenshot(page, "brief-print");
  const results = new URL("../test-results/", import.meta.url);
  await mkdir(results, { recursive: true });
  const pdf = await page.pdf({ path: fileURLToPath(new URL("brief.pdf", results)), format: "A4", printBackground: true });
  assert.ok(pdf.length > 1000, "an A4 PDF of the brief");
  await page.emulateMedia({ media: "screen" });
  assert.ok(await page.locator("header.top-bar").isVisible());

  assert.deepEqual(page.kamErrors, []);
  await page.context().close();
});

test("the brief in Chinese", async () => {
  const seeded = await seedAccount();
  const page = await openPage(browser, { key: seeded.manager.key, locale: "zh-CN" });
  await page.goto(`${env.appUrl}/accounts/${seeded.account.id}/brief`);
  await page.getByRole("heading", { name: `拜访简报：${seeded.account.displayName}` }).waitFor();
  const keyDates = part(page, "近期关键日期");
  await keyDates.getByText("合同续签").waitFor();
  await keyDates.getByText("12 天后").waitFor();
  await part(page, "在途商机").getByText("€125,000.50").waitFor();
  await part(page, "待办计划行动").getByText("已逾期").waitFor();
  assert.ok(await page.getByRole("button", { name: "打印" }).isVisible());
  await screenshot(page, "brief-zh-CN");
  await checkA11y(page, "visit brief zh-CN");
  assert.deepEqual(page.kamErrors, []);
  await page.context().close();
});

test("the account's key dates are edited on the account page", async () => {
  const seeded = await seedAccount();
  const page = await openPage(browser, { key: seeded.manager.key });
  await page.goto(`${env.appUrl}/accounts/${seeded.account.id}`);
  const keyDates = page.getByTestId("account-key-dates");
  await keyDates.getByText("Framework agreement").waitFor();
  await keyDates.getByRole("button", { name: "Edit key dates" }).click();
  const form = keyDates.getByRole("form", { name: "Edit the account's key dates" });

  // A customer event without its label: the server refuses and the row says why.
  await form.getByRole("button", { name: "Add a key date" }).click();
  const row = form.getByRole("group", { name: "Key date 2" });
  await row.getByLabel("Kind").selectOption({ label: "Customer event" });
  await row.getByLabel("Date", { exact: true }).fill("2027-05-10");
  await form.getByRole("button", { name: "Save key dates" }).click();
  await form.getByRole("alert").locator("[data-field]").first().waitFor();
  assert.match(await form.getByRole("alert").innerText(), /key_dates\[1\]\.label/);
  await row.locator(".field-error").waitFor();
  await screenshot(page, "account-key-dates-refused");
  await checkA11y(page, "account key dates form");

  // With the label, once: saved; and a yearly founding anniversary whose year nobody knows.
  await row.getByLabel("Label (required for this kind)").fill("Supplier forum");
  await row.getByLabel("Falls once (not every year)").check();
  await form.getByRole("button", { name: "Add a key date" }).click();
  const third = form.getByRole("group", { name: "Key date 3" });
  await third.getByLabel("Kind").selectOption({ label: "Founding anniversary" });
  await third.getByLabel("Date", { exact: true }).fill("2000-03-01");
  await third.getByLabel("Year unknown").check();
  await form.getByRole("button", { name: "Save key dates" }).click();
  await keyDates.getByText("Supplier forum").waitFor();
  assert.equal(await form.count(), 0, "the form closes once saved");

  const stored = await api().accounts.getAccount({ id: seeded.account.id });
  assert.deepEqual(
    stored.keyDates.map((keyDate) => [keyDate.kind, keyDate.label, keyDate.date.year, keyDate.date.month, keyDate.date.day, keyDate.oneTime]),
    [
      [kam.KeyDateKind.CONTRACT_RENEWAL, "Framework agreement", inDays(12).year, inDays(12).month, inDays(12).day, true],
      [kam.KeyDateKind.CUSTOMER_EVENT, "Supplier forum", 2027, 5, 10, true],
      [kam.KeyDateKind.FOUNDING_ANNIVERSARY, "", 0, 3, 1, false],
    ],
  );

  // Removing one keeps the others.
  await keyDates.getByRole("button", { name: "Edit key dates" }).click();
  await form.getByRole("button", { name: "Remove key date 1" }).click();
  await form.getByRole("button", { name: "Save key dates" }).click();
  await form.waitFor({ state: "detached" });
  const remaining = await api().accounts.getAccount({ id: seeded.account.id });
  assert.deepEqual(remaining.keyDates.map((keyDate) => keyDate.label), ["Supplier forum", ""]);
  assert.equal(await keyDates.getByText("Framework agreement").count(), 0);

  assert.deepEqual(page.kamErrors, []);
  await page.context().close();
});
