/**
 * The account page's sections against a real server: an account seeded through the API with two
 * years of revenue, an active plan with objectives and actions, an opportunity, an open service
 * request and a poorly rated visit; each section shows those figures, an action ticked off stays done
 * after a reload, a visit logged through the form appears on the timeline, and the page passes axe.
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

const EUR = (units, nanos = 0) => ({ currencyCode: "EUR", units: BigInt(units), nanos });

/** Months as {year, month}, the current one (UTC) last. */
function lastMonths(count) {
  const now = new Date();
  const current = now.getUTCFullYear() * 12 + now.getUTCMonth();
  return Array.from({ length: count }, (_, i) => {
    const index = current - (count - 1) + i;
    return { year: Math.floor(index / 12), month: (index % 12) + 1 };
  });
}

function dateOf(date) {
  return { year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate() };
}

/** Everything the sections show, seeded as an ADMIN; the page is opened by a MANAGER who owns the work. */
async function seedAccount() {
  const admin = api();
  const manager = await newStaff(admin, { name: unique("Mia Manager"), roles: [kam.Role.MANAGER] });
  const ownerId = manager.staff.id;
  const account = await admin.accounts.createAccount({ account: { displayName: unique("Rhine Pumps") } });

  // 24 months: the trailing year 10,000.25 a month (120,003.00), the year before 8,000 (96,000.00).
  const months = lastMonths(24);
  await admin.planning.upsertRevenueRecords({
    records: months.map((period, i) => ({
      externalId: unique(`rev-${period.year}-${period.month}`),
      accountId: account.id,
      period,
      amount: i >= 12 ? EUR(10000, 250_000_000) : EUR(8000),
    })),
  });

  const contact = await admin.accounts.createContact({
    contact: { accountId: account.id, fullName: unique("Lena Plant Manager"), title: "Plant manager" },
  });

  const rival = await admin.opportunities.createCompetitor({
    competitor: { name: unique("Rival Pumps") },
    requestId: crypto.randomUUID(),
  });
  const year = new Date().getUTCFullYear();
  const plan = await admin.planning.createAccountPlan({
    plan: {
      accountId: account.id,
      name: unique("Plan"),
      periodStart: { year, month: 1, day: 1 },
      periodEnd: { year, month: 12, day: 31 },
      vision: "Preferred pump partner for all plants",
      revenueTarget: EUR(150000),
      objectives: [
        { metric: "Installed pumps", targetValue: 40n, currentValue: 10n },
        { metric: "Plants served", targetValue: 4n, currentValue: 3n },
      ],
      swot: [
        { kind: kam.SwotItem_Kind.STRENGTH, text: "Fast on-site service" },
        { kind: kam.SwotItem_Kind.WEAKNESS, text: "Price above market" },
        { kind: kam.SwotItem_Kind.OPPORTUNITY, text: "New plant in Duisburg" },
        { kind: kam.SwotItem_Kind.THREAT, text: "Low-cost importer" },
      ],
      competitors: [
        { name: "Acme Fluid", estimatedSharePercent: 35, threatLevel: kam.CompetitorAssessment_ThreatLevel.HIGH },
        { competitorId: rival.id, estimatedSharePercent: 10, threatLevel: kam.CompetitorAssessment_ThreatLevel.LOW },
      ],
      whitespace: [
        { productLine: "Dosing pumps", status: kam.WhitespaceCell_Status.POTENTIAL, estimatedValue: EUR(40000) },
        { productLine: "Centrifugal pumps", status: kam.WhitespaceCell_Status.CURRENT },
      ],
    },
    requestId: crypto.randomUUID(),
  });
  await admin.planning.changeAccountPlanStatus({ id: plan.id, status: kam.AccountPlan_Status.ACTIVE, etag: plan.etag });
  const inAMonth = dateOf(new Date(Date.now() + 30 * 86_400_000));
  const action = await admin.planning.createPlanAction({
    action: { planId: plan.id, title: unique("Workshop with maintenance"), ownerStaffId: ownerId, dueDate: inAMonth },
    requestId: crypto.randomUUID(),
  });
  await admin.planning.createPlanAction({
    action: { planId: plan.id, title: unique("Quote for Duisburg"), ownerStaffId: ownerId, dueDate: inAMonth },
    requestId: crypto.randomUUID(),
  });

  const opportunity = await admin.opportunities.createOpportunity({
    opportunity: {
      accountId: account.id,
      displayName: unique("Dosing line retrofit"),
      amount: EUR(125000, 500_000_000),
      expectedCloseDate: inAMonth,
      ownerStaffId: ownerId,
      qualification: { budgetConfirmed: true, needConfirmed: true },
    },
    requestId: crypto.randomUUID(),
  });

  const request = await admin.serviceLevels.createServiceRequest({
    serviceRequest: { accountId: account.id, title: unique("Seal leaking on P-12"), priority: kam.Priority.P2 },
    requestId: crypto.randomUUID(),
  });

  // A visit rated 2 of 5: the health check's low-satisfaction signal triggers on it.
  const visit = await admin.planning.logInteraction({
    interaction: {
      accountId: account.id,
      type: kam.Interaction_Type.SALES_VISIT,
      occurTime: toTimestamp(new Date(Date.now() - 3 * 86_400_000)),
      staffIds: [ownerId],
      summary: unique("Complaint about delivery delays"),
      satisfaction: 2,
    },
    requestId: crypto.randomUUID(),
  });

  return { manager, account, contact, plan, rival, action, opportunity, request, visit };
}

function toTimestamp(date) {
  const millis = date.getTime();
  return { seconds: BigInt(Math.floor(millis / 1000)), nanos: (millis % 1000) * 1_000_000 };
}

/** The region of one section, found by its heading. */
const section = (page, name) => page.getByRole("region", { name, exact: true });

async function openAccount(key, accountId) {
  const page = await openPage(browser, { key });
  await page.goto(`${env.appUrl}/accounts/${accountId}`);
  return page;
}

test("each section shows the seeded account's data", async () => {
  const seeded = await seedAccount();
  const page = await openAccount(seeded.manager.key, seeded.account.id);

  // Health: the poorly rated visit is behind a triggered signal, with its evidence.
  const health = section(page, "Health");
  const lowSatisfaction = health.getByRole("row").filter({ hasText: "Low satisfaction" });
  await lowSatisfaction.getByText("Triggered").waitFor();
  await health.getByTestId("health-level").waitFor();

  // Plan: scorecard, objectives, SWOT, competitors, whitespace, actions.
  const plan = section(page, "Account plan");
  await plan.getByText(seeded.plan.name).waitFor();
  assert.equal(await plan.getByRole("progressbar", { name: "Installed pumps" }).getAttribute("aria-valuenow"), "25");
  assert.equal(await plan.getByRole("progressbar", { name: "Plants served" }).getAttribute("aria-valuenow"), "75");
  await plan.getByTestId("scorecard-objectives").filter({ hasText: "50 %" }).waitFor();
  await plan.getByTestId("scorecard-actions").filter({ hasText: "0 of 2 (0 %)" }).waitFor();
  await plan.getByText("New plant in Duisburg").waitFor();
  // A name no competitor has says so; an assessment of a recorded competitor links to the competitors.
  await plan.getByRole("cell", { name: "Acme Fluid (not a recorded competitor)" }).waitFor();
  const rival = plan.getByRole("link", { name: seeded.rival.name });
  assert.equal(await rival.getAttribute("href"), "/competitors");
  await plan.getByText("Dosing pumps").waitFor();
  await plan.getByText("€40,000.00").waitFor();

  // Opportunities: exact amount, owner, MAN 2 of 3, and the way to the funnel.
  const opportunities = section(page, "Opportunities");
  const row = opportunities.getByTestId(`opportunity-${seeded.opportunity.id}`);
  await row.getByText("€125,000.50").waitFor();
  await row.getByText(seeded.manager.staff.fullName).waitFor();
  await row.getByText("2 of 3 confirmed").waitFor();
  assert.equal(await opportunities.getByRole("link", { name: "Funnel" }).getAttribute("href"), "/funnel");

  // Service: the request with both clocks running and a link to it.
  const service = section(page, "Open service requests");
  const requestRow = service.getByTestId(`service-request-${seeded.request.id}`);
  await requestRow.getByRole("link", { name: seeded.request.title }).waitFor();
  assert.equal(
    await requestRow.getByRole("link", { name: seeded.request.title }).getAttribute("href"),
    `/service/${seeded.request.id}`,
  );
  assert.match(await requestRow.innerText(), /left|overdue/);
  assert.match(await requestRow.innerText(), /On track|At risk|Breached|Paused/);

  // Revenue: exact totals of the trailing year and the year before.
  const revenue = section(page, "Revenue");
  await revenue.getByTestId("revenue-total").filter({ hasText: "€120,003.00" }).waitFor();
  await revenue.getByTestId("revenue-previous-total").filter({ hasText: "€96,000.00" }).waitFor();
  await revenue.getByTestId("revenue-change").filter({ hasText: "+€24,003.00" }).waitFor();
  assert.equal(await revenue.getByTestId("revenue-table").locator("tbody tr").count(), 12);
  await revenue.getByRole("img").waitFor();

  // Interactions: the seeded visit on the timeline.
  const interactions = section(page, "Interactions");
  await interactions.getByText(seeded.visit.summary).waitFor();

  assert.deepEqual(page.kamErrors, []);
  await screenshot(page, "account-sections");
  await checkA11y(page, "account page with sections");
  await page.context().close();
});

test("an action ticked off stays done after a reload", async () => {
  const seeded = await seedAccount();
  const page = await openAccount(seeded.manager.key, seeded.account.id);
  const plan = section(page, "Account plan");
  const checkbox = plan.getByRole("checkbox", { name: seeded.action.title });
  await checkbox.check();
  await plan.getByTestId(`plan-action-${seeded.action.id}`).getByText("Done", { exact: true }).waitFor();
  await plan.getByTestId("scorecard-actions").filter({ hasText: "1 of 2 (50 %)" }).waitFor();

  await page.reload();
  const reloaded = section(page, "Account plan").getByRole("checkbox", { name: seeded.action.title });
  await reloaded.waitFor();
  assert.equal(await reloaded.isChecked(), true);
  const stored = await api().planning.getPlanAction({ id: seeded.action.id });
  assert.equal(stored.status, kam.PlanAction_Status.DONE);
  assert.deepEqual(page.kamErrors, []);
  await page.context().close();
});

test("a visit logged through the form appears on the timeline at once", async () => {
  const seeded = await seedAccount();
  const page = await openAccount(seeded.manager.key, seeded.account.id);
  const interactions = section(page, "Interactions");
  await interactions.getByText(seeded.visit.summary).waitFor();

  await interactions.getByRole("button", { name: "Log a visit" }).click();
  const form = interactions.getByRole("form", { name: "Log an interaction" });
  // Without a summary the server refuses and names the field.
  await form.getByRole("button", { name: "Log it" }).click();
  await form.getByRole("alert").locator("[data-field]").first().waitFor();
  assert.match(await form.getByRole("alert").innerText(), /summary/);

  await screenshot(page, "account-sections-visit-form");
  await checkA11y(page, "account page with the visit form open");

  const summary = unique("Site walk with the plant manager");
  await form.getByLabel("Kind").selectOption({ label: "Executive visit" });
  await form.getByLabel("Summary").fill(summary);
  await form.getByLabel("Next step (optional)").fill("Send the retrofit offer");
  await form.getByRole("checkbox", { name: seeded.contact.fullName }).check();
  await form.getByRole("button", { name: "Log it" }).click();

  const timeline = interactions.getByTestId("interaction-timeline");
  const newest = timeline.locator("li").first();
  await newest.getByText(summary).waitFor();
  await newest.getByText("Executive visit").waitFor();
  await newest.getByText("Send the retrofit offer").waitFor();
  await newest.getByText(seeded.contact.fullName).waitFor();

  const { interactions: stored } = await api().planning.listInteractions({ accountId: seeded.account.id });
  const saved = stored.find((interaction) => interaction.summary === summary);
  assert.deepEqual(saved?.contactIds, [seeded.contact.id]);
  assert.equal(saved?.type, kam.Interaction_Type.EXECUTIVE_VISIT);
  assert.deepEqual(page.kamErrors, []);
  await page.context().close();
});

test("a manager starts a plan where there is none; refusals name the field", async () => {
  const admin = api();
  const manager = await newStaff(admin, { name: unique("Max Manager"), roles: [kam.Role.MANAGER] });
  const account = await admin.accounts.createAccount({ account: { displayName: unique("Elbe Valves") } });
  const page = await openAccount(manager.key, account.id);
  const plan = section(page, "Account plan");
  const form = plan.getByRole("form", { name: "Start a plan" });
  await form.waitFor();

  // No name: the server refuses and names the field.
  await form.getByRole("button", { name: "Create plan" }).click();
  await form.getByRole("alert").locator("[data-field]").first().waitFor();
  assert.match(await form.getByRole("alert").innerText(), /name/);

  // A target that is not an amount is caught before it is sent.
  await form.getByLabel("Plan name").fill(unique("Plan"));
  await form.getByLabel(/Revenue target/).fill("12,5x");
  await form.getByRole("button", { name: "Create plan" }).click();
  await form.getByText("Not an amount").waitFor();

  await checkA11y(page, "account page with the plan form and its refusal");

  const name = unique("Growth plan");
  await form.getByLabel("Plan name").fill(name);
  await form.getByLabel(/Revenue target/).fill("250000.50");
  await form.getByRole("button", { name: "Create plan" }).click();
  await plan.getByText(name).waitFor();
  await plan.getByText("Draft", { exact: true }).waitFor();
  const { plans } = await admin.planning.listAccountPlans({ accountId: account.id });
  assert.equal(plans.length, 1);
  assert.equal(plans[0].revenueTarget.units, 250000n);
  assert.equal(plans[0].revenueTarget.nanos, 500_000_000);
  assert.deepEqual(page.kamErrors, []);
  await page.context().close();
});

test("an executive reads every section but changes nothing; the page reads in Chinese", async () => {
  const seeded = await seedAccount();
  const executive = await newStaff(api(), { name: unique("Eva Executive"), roles: [kam.Role.EXECUTIVE] });
  const page = await openPage(browser, { key: executive.key, locale: "zh-CN" });
  await page.goto(`${env.appUrl}/accounts/${seeded.account.id}`);

  const plan = section(page, "客户计划");
  const checkbox = plan.getByRole("checkbox", { name: seeded.action.title });
  await checkbox.waitFor();
  assert.equal(await checkbox.isDisabled(), true);
  const interactions = section(page, "客户互动");
  await interactions.getByText(seeded.visit.summary).waitFor();
  assert.equal(await interactions.getByRole("button", { name: "记录拜访" }).count(), 0);
  await section(page, "营收").getByTestId("revenue-total").filter({ hasText: "120,003.00" }).waitFor();
  await section(page, "客户健康度").getByText("满意度偏低").waitFor();

  assert.deepEqual(page.kamErrors, []);
  await screenshot(page, "account-sections-zh");
  await checkA11y(page, "account page with sections, zh-CN");
  await page.context().close();
});
