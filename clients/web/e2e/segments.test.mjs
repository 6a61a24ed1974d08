/**
 * Segments against a real server: an industry with a sub-industry and a region, created through the
 * API; the account list filtered by industry (the segment with everything below it) and by region
 * from the pickers' trees; an account classified on its edit form; the funnel broken down by industry;
 * and the competitor report for the accounts of an industry, with its unmatched names turned into a
 * competitor.
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

async function eventually(read, check, { timeout = 15_000, interval = 100 } = {}) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await read();
    if (check(value)) return value;
    if (Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}

/** A segment code no other test uses (A-Z, a-z, 0-9 and '-', at most 32). */
const code = (prefix) => unique(prefix).replace(/[^A-Za-z0-9]+/g, "-").slice(0, 32);

/** An industry with a sub-industry, a region, and four accounts among them (one in none). */
async function seedSegments() {
  const admin = api();
  const parent = await admin.segments.createIndustry({
    industry: { code: code("IND"), name: unique("Process industry"), nameZh: unique("流程工业") },
  });
  const child = await admin.segments.createIndustry({
    industry: { code: code("SUB"), parentCode: parent.code, name: unique("Pulp and paper") },
  });
  const region = await admin.segments.createRegion({
    region: { code: code("REG"), name: unique("Northeast"), level: kam.RegionLevel.SALES_REGION },
  });
  const prefix = unique("Seg");
  const account = (name, fields) => admin.accounts.createAccount({ account: { displayName: `${prefix} ${name}`, ...fields } });
  const mill = await account("Mill", { industryCode: child.code, regionCode: region.code });
  const refinery = await account("Refinery", { industryCode: parent.code });
  const bakery = await account("Bakery", { regionCode: region.code });
  const loose = await account("Loose", {});
  return { admin, parent, child, region, prefix, mill, refinery, bakery, loose };
}

const listedNames = (list) => list.locator("tbody tr th").allInnerTexts();

test("the account list filters by industry and region, a segment with everything below it", async () => {
  const seeded = await seedSegments();
  const page = await openPage(browser);
  const list = page.getByTestId("account-list");
  await list.waitFor();
  await page.getByRole("searchbox", { name: "Search" }).fill(seeded.prefix);
  const names = (expected) =>
    eventually(
      async () => (await listedNames(list)).map((text) => text.split("\n")[0]).sort(),
      (texts) => JSON.stringify(texts) === JSON.stringify(expected),
    );
  const all = ["Bakery", "Loose", "Mill", "Refinery"].map((name) => `${seeded.prefix} ${name}`);
  assert.deepEqual(await names(all), all);

  // The industry: the parent holds the sub-industry's account too.
  const industry = page.getByRole("combobox", { name: "Industry", exact: true });
  await industry.selectOption(seeded.parent.code);
  assert.deepEqual(await names([`${seeded.prefix} Mill`, `${seeded.prefix} Refinery`]), [
    `${seeded.prefix} Mill`,
    `${seeded.prefix} Refinery`,
  ]);
  // The sub-industry sits under its parent in the picker's tree.
  const options = await industry.locator("option").allInnerTexts();
  const at = options.findIndex((text) => text.includes(`(${seeded.parent.code})`));
  assert.ok(at >= 0 && options[at + 1].includes(`(${seeded.child.code})`), options.join("|"));
  assert.ok(options[at + 1].startsWith("\u00a0\u00a0"), "the sub-industry is indented");
  await industry.selectOption(seeded.child.code);
  assert.deepEqual(await names([`${seeded.prefix} Mill`]), [`${seeded.prefix} Mill`]);

  // The region, alone and together with the industry.
  await industry.selectOption("");
  await page.getByRole("combobox", { name: "Region", exact: true }).selectOption(seeded.region.code);
  assert.deepEqual(await names([`${seeded.prefix} Bakery`, `${seeded.prefix} Mill`]), [
    `${seeded.prefix} Bakery`,
    `${seeded.prefix} Mill`,
  ]);
  await industry.selectOption(seeded.parent.code);
  assert.deepEqual(await names([`${seeded.prefix} Mill`]), [`${seeded.prefix} Mill`]);
  await checkA11y(page, "accounts filtered by segment");
  await screenshot(page, "accounts-by-segment");
  assert.deepEqual(page.kamErrors, []);
  await page.context().close();
});

test("an account is classified on its edit form, its free text kept", async () => {
  const seeded = await seedSegments();
  const page = await openPage(browser);
  await page.goto(`${env.appUrl}/accounts/${seeded.loose.id}`);
  await page.getByRole("button", { name: "Edit account" }).click();
  const edit = page.getByRole("form", { name: "Edit account" });
  await edit.getByLabel("Industry", { exact: true }).fill("Paper mills");
  await edit.getByRole("combobox", { name: "Industry classification" }).selectOption(seeded.child.code);
  await edit.getByRole("combobox", { name: "Region classification" }).selectOption(seeded.region.code);
  await edit.getByRole("button", { name: "Save changes" }).click();
  await edit.waitFor({ state: "detached" });
  await page.getByTestId("account-industry-code").filter({ hasText: seeded.child.name }).waitFor();
  await page.getByTestId("account-region-code").filter({ hasText: seeded.region.name }).waitFor();
  const stored = await seeded.admin.accounts.getAccount({ id: seeded.loose.id });
  assert.deepEqual([stored.industry, stored.industryCode, stored.regionCode], ["Paper mills", seeded.child.code, seeded.region.code]);
  assert.deepEqual(page.kamErrors, []);
  await page.context().close();
});

test("the competitor report for the accounts of an industry", async () => {
  const seeded = await seedSegments();
  const admin = seeded.admin;
  const owner = await newStaff(admin, { name: unique("Olga Owner"), roles: [kam.Role.MANAGER] });
  const rival = await admin.opportunities.createCompetitor({
    competitor: { name: unique("Rival Pumps"), aliases: [unique("RP")] },
    requestId: crypto.randomUUID(),
  });
  const stranger = unique("Unknown Valves");
  const man = { budgetConfirmed: true, authorityConfirmed: true, needConfirmed: true };
  const deal = (account, amount, competitors) =>
    admin.opportunities.createOpportunity({
      opportunity: {
        accountId: account.id,
        displayName: unique("Deal"),
        ownerStaffId: owner.staff.id,
        amount: { currencyCode: "EUR", units: BigInt(amount), nanos: 0 },
        competitors,
        qualification: man,
      },
      requestId: crypto.randomUUID(),
    });
  const close = (opportunity, outcome, lostTo = "") =>
    admin.opportunities.closeOpportunity({ id: opportunity.id, outcome, reasonCode: "PRICE", lostToCompetitor: lostTo });
  // In the industry: three deals face the rival (one by its alias): one won, one lost to it, one open;
  // one faces a name no competitor has. Outside it (the bakery): a deal the report must leave out.
  const won = await deal(seeded.mill, 1000, [rival.name]);
  const lost = await deal(seeded.refinery, 2000, [rival.aliases[0]]);
  await deal(seeded.mill, 500, [rival.name, stranger]);
  await deal(seeded.bakery, 9000, [rival.name]);
  await close(won, kam.Outcome.WON);
  await close(lost, kam.Outcome.LOST, rival.aliases[0]);

  const page = await openPage(browser);
  await page.goto(`${env.appUrl}/competitors`);
  await page.getByRole("heading", { name: "Competitor report" }).waitFor();
  await page.getByRole("combobox", { name: "Industry", exact: true }).selectOption(seeded.parent.code);
  const row = page.getByTestId(`competitor-row-${rival.id}`);
  await row.getByRole("cell").first().filter({ hasText: "3" }).waitFor();
  const cells = await row.getByRole("cell").allInnerTexts();
  // faced, won, lost to it, lost to others, open, win rate, amounts faced, won, lost to it
  assert.deepEqual(cells.slice(0, 6), ["3", "1", "1", "0", "1", "50.0 %"]);
  assert.deepEqual(cells.slice(6), ["€3,500.00", "€1,000.00", "€2,000.00"]);

  // The breakdown by industry: the sub-industry's and the parent's own accounts apart.
  await page.getByTestId(`competitor-details-${rival.id}`).locator("summary").click();
  const details = page.getByTestId(`competitor-details-${rival.id}`);
  await details.getByRole("row").filter({ hasText: seeded.child.name }).waitFor();
  await details.getByRole("link", { name: seeded.mill.displayName }).waitFor();

  // The name no competitor has, recorded as one: the report then counts it.
  const unmatched = page.getByTestId("competitor-unmatched");
  await unmatched.getByRole("row").filter({ hasText: stranger }).waitFor();
  await checkA11y(page, "competitor report");
  await screenshot(page, "competitors");
  await unmatched.getByRole("button", { name: `Record as competitor: ${stranger}` }).click();
  const form = page.getByRole("form", { name: "New competitor" });
  assert.equal(await form.getByLabel("Name").inputValue(), stranger);
  await form.getByLabel("Strengths").fill("Cheap seals");
  await form.getByRole("button", { name: "Create competitor" }).click();
  await form.waitFor({ state: "detached" });
  await page.getByRole("table").filter({ hasText: "Cheap seals" }).waitFor();
  await page.getByTestId("competitor-report").getByRole("row").filter({ hasText: stranger }).waitFor();
  assert.equal(await unmatched.getByRole("row").filter({ hasText: stranger }).count(), 0);
  assert.deepEqual(page.kamErrors, []);
  await page.context().close();
});

test("the funnel breaks down by industry", async () => {
  const seeded = await seedSegments();
  const owner = await newStaff(seeded.admin, { name: unique("Fay Owner"), roles: [kam.Role.MANAGER] });
  await seeded.admin.opportunities.createOpportunity({
    opportunity: {
      accountId: seeded.mill.id,
      displayName: unique("Segment deal"),
      ownerStaffId: owner.staff.id,
      amount: { currencyCode: "EUR", units: 4321n, nanos: 500_000_000 },
    },
    requestId: crypto.randomUUID(),
  });
  const page = await openPage(browser);
  await page.goto(`${env.appUrl}/funnel`);
  await page.getByRole("combobox", { name: "Industry", exact: true }).selectOption(seeded.parent.code);
  const table = page.getByTestId("funnel-segments");
  const row = table.getByRole("row").filter({ hasText: seeded.child.name });
  await row.getByText("€4,321.50").first().waitFor();
  // Rolled up to the top level: the sub-industry's deal counts under its parent.
  await page.getByRole("combobox", { name: "Roll up to" }).selectOption("1");
  await table.getByRole("row").filter({ hasText: seeded.parent.name }).getByText("€4,321.50").first().waitFor();
  assert.equal(await table.getByRole("row").filter({ hasText: seeded.child.name }).count(), 0);
  await checkA11y(page, "funnel by segment");
  assert.deepEqual(page.kamErrors, []);
  await page.context().close();
});

test("a new account is classified as it is created", async () => {
  const seeded = await seedSegments();
  const page = await openPage(browser);
  await page.getByRole("button", { name: "New account" }).click();
  const form = page.getByRole("form", { name: "New account" });
  const name = unique("Classified Mill");
  await form.getByLabel("Display name").fill(name);
  await form.getByRole("combobox", { name: "Industry classification" }).selectOption(seeded.child.code);
  await form.getByRole("button", { name: "Create account" }).click();
  await page.getByRole("heading", { name, exact: true }).waitFor();
  await page.getByTestId("account-industry-code").filter({ hasText: seeded.child.name }).waitFor();
  const id = new URL(page.url()).pathname.split("/").pop();
  const stored = await seeded.admin.accounts.getAccount({ id });
  // Classified by code alone: the server fills the empty free text with the industry's name.
  assert.deepEqual([stored.industryCode, stored.industry], [seeded.child.code, seeded.child.name]);
  assert.deepEqual(page.kamErrors, []);
  await page.context().close();
});

test("competitors are edited on their page, which reads in Chinese", async () => {
  const admin = api();
  const rival = await admin.opportunities.createCompetitor({
    competitor: { name: unique("Edit Rival") },
    requestId: crypto.randomUUID(),
  });
  const page = await openPage(browser, { locale: "zh-CN" });
  await page.goto(`${env.appUrl}/competitors`);
  await page.getByRole("heading", { name: "竞争对手报表" }).waitFor();
  const list = page.getByTestId("competitor-list");
  await list.getByRole("button", { name: `编辑 ${rival.name}` }).click();
  const form = page.getByRole("form", { name: `编辑竞争对手 ${rival.name}` });
  await form.getByLabel("别名").fill("ER\nEdit R");
  await form.getByLabel("劣势").fill("Slow service");
  await form.getByRole("button", { name: "保存" }).click();
  await form.waitFor({ state: "detached" });
  await list.getByTestId(`competitor-${rival.id}`).getByText("Slow service").waitFor();
  const stored = await admin.opportunities.getCompetitor({ id: rival.id });
  assert.deepEqual([stored.aliases, stored.weaknesses], [["ER", "Edit R"], "Slow service"]);
  await screenshot(page, "competitors-zh-CN");
  await checkA11y(page, "competitors zh-CN");
  assert.deepEqual(page.kamErrors, []);
  await page.context().close();
});
