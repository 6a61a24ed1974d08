/**
 * The funnel board: a move into a stage behind the MAN gate is refused and the card shows the rule and
 * stays; once qualified in the UI, the same move is accepted and the server has the opportunity in the
 * new stage. Dragging and the "Move to…" control take the same path; both are tested. The board and the
 * reports are accessible, in English and Chinese.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { api, checkA11y, kam, launch, newStaff, openPage, screenshot, unique } from "./harness.mjs";

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

/** The default pipeline (seeded by the server); one like it is created only if none exists. */
async function defaultPipeline(client) {
  const { pipelines } = await client.opportunities.listPipelines({ pageSize: 100 });
  const found = pipelines.find((pipeline) => pipeline.isDefault) ?? pipelines[0];
  if (found) return found;
  return client.opportunities.createPipeline({
    pipeline: {
      displayName: unique("Pipeline"),
      qualificationStageKey: "QUALIFIED",
      stages: [
        { key: "LEAD", displayName: "Lead", probability: 10, forecastCategory: kam.ForecastCategory.PIPELINE },
        { key: "QUALIFIED", displayName: "Qualified", probability: 40, forecastCategory: kam.ForecastCategory.PIPELINE },
        { key: "WON", displayName: "Won", probability: 100, forecastCategory: kam.ForecastCategory.CLOSED, closedWon: true },
        { key: "LOST", displayName: "Lost", probability: 0, forecastCategory: kam.ForecastCategory.OMITTED, closedLost: true },
      ],
    },
  });
}

/** An account and one unqualified opportunity at the pipeline's first stage. */
async function seedDeal(client) {
  const pipeline = await defaultPipeline(client);
  const me = await client.identity.whoAmI({});
  const account = await client.accounts.createAccount({
    account: { displayName: unique("Funnel Pumps"), region: "East China" },
  });
  const first = pipeline.stages[0];
  const gate = pipeline.stages.find((stage) => stage.key === pipeline.qualificationStageKey);
  assert.ok(first && gate, "the pipeline has a first stage and a qualification stage");
  const opportunity = await client.opportunities.createOpportunity({
    opportunity: {
      accountId: account.id,
      pipelineId: pipeline.id,
      stage: first.key,
      displayName: unique("Boiler feed pumps"),
      amount: { currencyCode: "CNY", units: 12345n, nanos: 670_000_000 },
      expectedCloseDate: { year: 2027, month: 3, day: 31 },
      ownerStaffId: me.staffId,
    },
  });
  return { pipeline, account, opportunity, first, gate };
}

/** Filters the board to `account` with the account picker: type part of the name, choose the match. */
async function chooseAccount(page, account, { locale = "en" } = {}) {
  const picker = page.getByRole("combobox", { name: locale === "en" ? "Account" : "客户", exact: true });
  await picker.fill(account.displayName);
  await page.locator(`[role="option"][data-account-id="${account.id}"]`).click();
  assert.equal(await picker.inputValue(), account.displayName);
  // The board reloads for the account at once (busy); wait until the server's answer is on it.
  await boardLoaded(page);
}

async function boardLoaded(page) {
  await page.getByTestId("funnel-board").and(page.locator('[aria-busy="false"]')).waitFor();
}

/** The funnel page showing only `account`'s deals. */
async function openBoard(account, { locale = "en" } = {}) {
  const page = await openPage(browser, { locale });
  await page.getByRole("link", { name: locale === "en" ? "Funnel" : "商机漏斗", exact: true }).click();
  await chooseAccount(page, account, { locale });
  return page;
}

async function expectRefusedAndBack(page, card, column, opportunityId) {
  const alert = card.getByRole("alert");
  await alert.waitFor();
  assert.match(await alert.innerText(), /MAN_REQUIRED/);
  assert.equal(await alert.getAttribute("data-code"), "FailedPrecondition");
  // The server's own message is on the card.
  const refusal = await api()
    .opportunities.moveOpportunityStage({ id: opportunityId, stage: "QUALIFIED" })
    .then(
      () => assert.fail("the server accepted an unqualified move"),
      (error) => kam.describeError(error),
    );
  assert.equal(await alert.locator(".error-message").innerText(), refusal.message);
  // Back in its column, no longer pending.
  await column.getByTestId(`opportunity-${opportunityId}`).waitFor();
  assert.equal(await card.getAttribute("aria-busy"), "false");
}

async function qualifyInUi(card) {
  await card.locator("summary", { hasText: "Qualification (MAN)" }).click();
  for (const flag of ["Money (budget)", "Authority", "Need"]) {
    await card.getByRole("checkbox", { name: flag }).check();
  }
  await card.getByRole("button", { name: "Save qualification" }).click();
  for (const flag of ["budgetConfirmed", "authorityConfirmed", "needConfirmed"]) {
    await card.locator(`[data-flag="${flag}"][data-confirmed="true"]`).waitFor();
  }
}

test("dragging into the MAN-gated stage is refused on the card until the deal is qualified", async () => {
  const client = api();
  const { account, opportunity, first, gate } = await seedDeal(client);
  const page = await openBoard(account);
  const card = page.getByTestId(`opportunity-${opportunity.id}`);
  const firstColumn = page.getByTestId(`column-${first.key}`);
  const gateColumn = page.getByTestId(`column-${gate.key}`);
  await firstColumn.getByTestId(`opportunity-${opportunity.id}`).waitFor();
  // Card facts: account, exact amount, owner, MAN flags.
  const text = await card.innerText();
  assert.match(text, new RegExp(account.displayName));
  assert.match(text, /12,345\.67/);
  assert.match(text, /Money \(budget\): not confirmed/);

  await card.dragTo(gateColumn);
  await expectRefusedAndBack(page, card, firstColumn, opportunity.id);
  await screenshot(page, "funnel-board-refused");
  await checkA11y(page, "funnel board with a refused move");
  assert.equal((await client.opportunities.getOpportunity({ id: opportunity.id })).stage, first.key);

  await qualifyInUi(card);
  await card.dragTo(gateColumn);
  await gateColumn.getByTestId(`opportunity-${opportunity.id}`).waitFor();
  await card.and(page.locator('[aria-busy="false"]')).waitFor();
  assert.equal(await card.getByRole("alert").count(), 0);
  const stored = await client.opportunities.getOpportunity({ id: opportunity.id });
  assert.equal(stored.stage, gate.key);
  assert.ok(stored.qualification.budgetConfirmed && stored.qualification.authorityConfirmed && stored.qualification.needConfirmed);
  await screenshot(page, "funnel-board-moved");
  await page.context().close();
});

test("the Move to… control takes the same path: refused, then accepted after qualifying", async () => {
  const client = api();
  const { account, opportunity, first, gate } = await seedDeal(client);
  const page = await openBoard(account);
  const card = page.getByTestId(`opportunity-${opportunity.id}`);
  const firstColumn = page.getByTestId(`column-${first.key}`);
  await firstColumn.getByTestId(`opportunity-${opportunity.id}`).waitFor();

  const target = card.getByLabel("Move to…");
  await target.selectOption({ label: gate.displayName });
  const moveButton = card.getByRole("button", { name: "Move", exact: true });
  await moveButton.focus();
  await page.keyboard.press("Enter");
  await expectRefusedAndBack(page, card, firstColumn, opportunity.id);

  await qualifyInUi(card);
  await card.getByLabel("Move to…").selectOption({ label: gate.displayName });
  await card.getByRole("button", { name: "Move", exact: true }).press("Enter");
  await page.getByTestId(`column-${gate.key}`).getByTestId(`opportunity-${opportunity.id}`).waitFor();
  // The card goes to the column at once; the server has answered once it is no longer busy.
  await card.and(page.locator('[aria-busy="false"]')).waitFor();
  assert.equal(await card.getByRole("alert").count(), 0);
  assert.equal((await client.opportunities.getOpportunity({ id: opportunity.id })).stage, gate.key);
  await page.context().close();
});

test("the reports show the account's deal as charts and as figures, accessibly, in English and Chinese", async () => {
  const client = api();
  const { account, first } = await seedDeal(client);
  for (const locale of ["en", "zh-CN"]) {
    const page = await openBoard(account, { locale });
    const summary = page.getByTestId("chart-summary");
    await summary.waitFor();
    // The stage the deal is in counts 1 in the chart's text and in the table.
    const row = page.getByRole("row", { name: new RegExp(`^${first.displayName}\\b`) }).first();
    await page.waitForFunction(
      (name) => [...document.querySelectorAll("tr")].some((tr) => tr.textContent?.startsWith(name) && tr.textContent.includes("12,345.67")),
      first.displayName,
    );
    assert.match(await row.innerText(), /1/);
    assert.match((await summary.getAttribute("aria-label")) ?? "", new RegExp(`${first.displayName} 1`));
    for (const chart of ["chart-conversion", "chart-velocity", "chart-forecast"]) {
      await page.getByTestId(chart).waitFor();
    }
    await page.getByTestId("chart-forecast").scrollIntoViewIfNeeded();
    await screenshot(page, `funnel-reports-${locale}`);
    await checkA11y(page, `funnel reports (${locale})`);
    await page.context().close();
  }
});

test("a read-only role sees the board without move or qualify controls", async () => {
  const client = api();
  const { account, opportunity } = await seedDeal(client);
  const { key } = await newStaff(client, { roles: [kam.Role.EXECUTIVE] });
  const page = await openPage(browser, { key });
  await page.getByRole("link", { name: "Funnel", exact: true }).click();
  await chooseAccount(page, account);
  const card = page.getByTestId(`opportunity-${opportunity.id}`);
  await card.waitFor();
  assert.equal(await card.getAttribute("draggable"), "false");
  assert.equal(await card.getByLabel("Move to…").count(), 0);
  assert.equal(await card.getByText("Qualification (MAN)").count(), 0);
  await page.context().close();
});

test("the account picker searches the server as you type, works by keyboard, and clears", async () => {
  const client = api();
  const { account, opportunity } = await seedDeal(client);
  const page = await openPage(browser, {});
  await page.getByRole("link", { name: "Funnel", exact: true }).click();
  const picker = page.getByRole("combobox", { name: "Account", exact: true });
  // Part of the (unique) name, typed key by key: the server's matches drop down once typing settles.
  await picker.pressSequentially(account.displayName.slice(0, -2));
  const option = page.locator(`[role="option"][data-account-id="${account.id}"]`);
  await option.waitFor();
  assert.equal(await picker.getAttribute("aria-expanded"), "true");
  await checkA11y(page, "funnel account picker open");
  await screenshot(page, "funnel-account-picker");
  while ((await option.getAttribute("aria-selected")) !== "true") await picker.press("ArrowDown");
  await picker.press("Enter");
  assert.equal(await picker.inputValue(), account.displayName);
  await boardLoaded(page);
  assert.equal(await picker.getAttribute("aria-expanded"), "false");
  // The board is narrowed by the server to the chosen account; the card names it (looked up by id).
  const card = page.getByTestId(`opportunity-${opportunity.id}`);
  await card.getByText(account.displayName, { exact: true }).waitFor();
  assert.equal(await page.locator('[data-testid^="opportunity-"]').count(), 1);
  // Clearing shows every account's deals again, each card with its account's name once looked up.
  await page.getByRole("button", { name: "Clear account" }).click();
  assert.equal(await picker.inputValue(), "");
  await page.waitForFunction(() => document.querySelectorAll('[data-testid^="opportunity-"]').length > 1);
  await page.waitForFunction(() =>
    [...document.querySelectorAll('[data-testid^="opportunity-"] dd:first-of-type')].every((dd) => dd.textContent !== "…"),
  );
  assert.equal(await page.getByText("Unknown account", { exact: true }).count(), 0);
  await page.context().close();
});
