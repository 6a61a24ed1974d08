/**
 * The teams page: coverage gaps and workload reports, and the handover wizard — step 1 who and why
 * (the server's field errors shown), step 2 the validate_only preview (what moves per area, rules that
 * break, named), step 3 the handover, after which the API shows the responsibilities with the other
 * person. An executive sees the reports only; a team member neither.
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
  // Deleted accounts leave the coverage report (and other tests' rankings) as they were.
  for (const id of seededAccounts) await api().accounts.deleteAccount({ id }).catch(() => undefined);
});

/** Someone leaving who holds two team roles and an opportunity on two accounts, and two possible successors. */
async function seedHandover(client, { receiverCapacity } = {}) {
  const leaver = await newStaff(client, { name: unique("Li Lei"), roles: [kam.Role.MEMBER] });
  const receiver = await newStaff(client, {
    name: unique("Wang Fang"),
    roles: [kam.Role.MEMBER],
    ...(receiverCapacity ? { maxAccounts: receiverCapacity } : {}),
  });
  const first = await client.accounts.createAccount({ account: { displayName: unique("Handover Pumps") } });
  const second = await client.accounts.createAccount({ account: { displayName: unique("Handover Valves") } });
  seededAccounts.push(first.id, second.id);
  // A strategic account requires more roles than one account manager: a coverage gap to report.
  await client.planning.setTierOverride({
    tierOverride: { accountId: first.id, tier: kam.Tier.STRATEGIC, reason: "e2e: coverage gap" },
  });
  await client.teams.addTeamMember({
    member: { accountId: first.id, staffId: leaver.staff.id, role: kam.TeamRole.ACCOUNT_MANAGER },
  });
  await client.teams.addTeamMember({
    member: { accountId: second.id, staffId: leaver.staff.id, role: kam.TeamRole.SALES_SPECIALIST },
  });
  const deal = await client.opportunities.createOpportunity({
    opportunity: {
      accountId: first.id,
      displayName: unique("Pump retrofit"),
      ownerStaffId: leaver.staff.id,
      amount: { currencyCode: "EUR", units: 120_000n, nanos: 0 },
    },
  });
  return { leaver: leaver.staff, receiver: receiver.staff, first, second, deal };
}

async function openTeams(options) {
  const page = await openPage(browser, options);
  await page.goto(`${env.appUrl}/teams`);
  await page.getByRole("heading", { level: 1, name: "Teams and coverage" }).waitFor();
  return page;
}

/** Fills step 1 of the wizard. */
async function chooseHandover(wizard, { from, to, reason }) {
  // The options list the people by name and email; waiting for them means the staff list is loaded.
  await wizard.locator(`option[value="${from.id}"]`).first().waitFor({ state: "attached" });
  await wizard.getByLabel("Who leaves (hands over)").selectOption(from.id);
  await wizard.getByLabel("Who takes over").selectOption(to.id);
  await wizard.getByLabel("Reason (required, up to 500 characters)").fill(reason);
}

test("the handover wizard previews what moves, applies it, and the API shows it moved", async () => {
  const client = api();
  const { leaver, receiver, first, second, deal } = await seedHandover(client);
  const page = await openTeams();
  const wizard = page.getByTestId("handover-wizard");

  // The reports have data: the leaver's workload is listed.
  await page.getByLabel("Find person").fill(leaver.fullName);
  const leaverRow = page.getByTestId("workload-table").locator(`tr[data-staff-id="${leaver.id}"]`);
  await leaverRow.locator('td[data-area="team_roles"]').getByText("2", { exact: true }).waitFor();
  await leaverRow.locator('td[data-area="opportunities"]').getByText("1", { exact: true }).waitFor();
  await page.getByLabel("Find person").fill("");
  await page.getByTestId("workload-bars").waitFor();
  await page.getByTestId("coverage-table").getByRole("link", { name: first.displayName }).waitFor();
  await checkA11y(page, "teams reports");
  await screenshot(page, "teams-reports");

  // Step 1: the same person twice is refused by the server, naming the field.
  await chooseHandover(wizard, { from: leaver, to: leaver, reason: "Li Lei leaves the company" });
  await wizard.getByRole("button", { name: "Preview handover" }).click();
  const refusal = wizard.getByRole("alert");
  await refusal.waitFor();
  assert.equal(await refusal.getAttribute("data-code"), "InvalidArgument");
  assert.equal(await refusal.locator("li[data-field]").getAttribute("data-field"), "to_staff_id");

  // Step 2: the preview, per area.
  await wizard.getByLabel("Who takes over").selectOption(receiver.id);
  await wizard.getByRole("button", { name: "Preview handover" }).click();
  const preview = wizard.getByTestId("handover-preview");
  await preview.getByText("3 responsibilities on 2 accounts would move.").waitFor();
  const roles = preview.locator('[data-area="team_roles"]');
  await roles.getByRole("heading", { name: /Team roles/ }).waitFor();
  await roles.getByRole("link", { name: first.displayName }).waitFor();
  await roles.getByRole("link", { name: second.displayName }).waitFor();
  const deals = preview.locator('[data-area="opportunities"]');
  await deals.getByRole("link", { name: first.displayName }).waitFor();
  await preview.getByText("No rule breaks: the handover can be applied.").waitFor();
  assert.match(await wizard.locator('[aria-current="step"]').innerText(), /Preview/);
  // Nothing moved yet.
  assert.equal((await client.opportunities.getOpportunity({ id: deal.id })).ownerStaffId, leaver.id);
  await checkA11y(page, "teams wizard preview");
  await screenshot(page, "teams-wizard-preview");

  // Back and forward keep the preview; then step 3.
  await wizard.getByRole("button", { name: "Back" }).click();
  assert.equal(await wizard.getByLabel("Who takes over").inputValue(), receiver.id);
  await wizard.getByRole("button", { name: "Next" }).click();
  await preview.waitFor();
  await wizard.getByRole("button", { name: "Next" }).click();
  await wizard.getByText(/^Move 3 responsibilities from/).waitFor();
  await wizard.getByRole("button", { name: "Apply handover" }).click();
  const result = wizard.getByTestId("handover-result");
  await result.getByText(`3 responsibilities moved to ${receiver.fullName}.`).waitFor();
  await checkA11y(page, "teams wizard done");
  await screenshot(page, "teams-wizard-done");

  // The API shows the responsibilities with the receiver.
  const held = (await client.teams.listTeamMembers({ staffId: receiver.id })).members.filter((m) => !m.endTime);
  assert.deepEqual(
    held.map((m) => [m.accountId, m.role]).sort(),
    [
      [first.id, kam.TeamRole.ACCOUNT_MANAGER],
      [second.id, kam.TeamRole.SALES_SPECIALIST],
    ].sort(),
  );
  const left = (await client.teams.listTeamMembers({ staffId: leaver.id })).members.filter((m) => !m.endTime);
  assert.equal(left.length, 0);
  assert.equal((await client.opportunities.getOpportunity({ id: deal.id })).ownerStaffId, receiver.id);

  // The workload report is loaded again: the receiver now holds the two roles.
  await page.getByLabel("Find person").fill(receiver.fullName);
  const receiverRow = page.getByTestId("workload-table").locator(`tr[data-staff-id="${receiver.id}"]`);
  await receiverRow.locator('td[data-area="team_roles"]').getByText("2", { exact: true }).waitFor();
  assert.deepEqual(page.kamErrors, []);
  await page.context().close();
});

test("a handover that would break a rule shows the rule and cannot be applied", async () => {
  const client = api();
  const { leaver, receiver } = await seedHandover(client, { receiverCapacity: 1 });
  const page = await openTeams();
  const wizard = page.getByTestId("handover-wizard");
  await chooseHandover(wizard, { from: leaver, to: receiver, reason: "changes job" });
  await wizard.getByRole("button", { name: "Preview handover" }).click();
  const breaks = wizard.getByTestId("rule-breaks");
  await breaks.locator('tr[data-rule="CAPACITY_EXCEEDED"]').first().waitFor();
  assert.match(await breaks.innerText(), /CAPACITY_EXCEEDED/);
  assert.ok(await wizard.getByRole("button", { name: "Next" }).isDisabled());
  await checkA11y(page, "teams wizard rule break");
  await screenshot(page, "teams-wizard-rule-break");

  // Changing a choice sends the wizard back to step 1 without the preview.
  await wizard.getByRole("button", { name: "Back" }).click();
  await wizard.getByLabel("Reason (required, up to 500 characters)").fill("changes job in 2027");
  assert.equal(await wizard.getByRole("button", { name: "Next" }).count(), 0);
  assert.match(await wizard.locator('[aria-current="step"]').innerText(), /Who and why/);
  // Nothing moved.
  const held = (await client.teams.listTeamMembers({ staffId: receiver.id })).members.filter((m) => !m.endTime);
  assert.equal(held.length, 0);
  await page.context().close();
});

test("an executive sees the reports but no handover wizard", async () => {
  const { key } = await newStaff(api(), { roles: [kam.Role.EXECUTIVE] });
  const page = await openTeams({ key });
  await page.getByRole("heading", { name: "Coverage gaps" }).waitFor();
  await page.getByRole("heading", { name: "Workload per person" }).waitFor();
  await page.getByTestId("workload-table").waitFor();
  await page.getByText("Handing over responsibilities is for managers").waitFor();
  assert.equal(await page.getByTestId("handover-wizard").count(), 0);
  assert.equal(await page.getByRole("alert").count(), 0);
  await checkA11y(page, "teams as executive");
  assert.deepEqual(page.kamErrors, []);
  await page.context().close();
});

test("a team member is told the reports are not theirs, and nothing is refused", async () => {
  const { key } = await newStaff(api(), { roles: [kam.Role.MEMBER] });
  const page = await openTeams({ key });
  await page.getByText("The coverage and workload reports are for executives").waitFor();
  assert.equal(await page.getByTestId("handover-wizard").count(), 0);
  assert.equal(await page.getByRole("alert").count(), 0);
  await checkA11y(page, "teams as member");
  await page.context().close();
});

test("the page speaks Chinese", async () => {
  const page = await openPage(browser, { locale: "zh-CN" });
  await page.goto(`${env.appUrl}/teams`);
  await page.getByRole("heading", { level: 1, name: "团队与覆盖" }).waitFor();
  await page.getByRole("heading", { name: "职责交接" }).waitFor();
  await page.getByRole("button", { name: "预览交接" }).waitFor();
  await page.getByRole("heading", { name: "人员工作量" }).waitFor();
  await checkA11y(page, "teams zh-CN");
  await screenshot(page, "teams-zh-CN");
  assert.deepEqual(page.kamErrors, []);
  await page.context().close();
});
