/**
 * The SLA board and the request page: a request created through the API while the board is open
 * appears on it live (no reload), in "due soon"; its page shows the clocks and the history, records
 * the first response and changes the status; both pages are accessible. In English and Chinese.
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

/**
 * An account of its own with an account policy on a 24x7 calendar whose targets are short (1 h first
 * response, 2 h resolution): a request opened on it now is due well within the board's 4 h window,
 * and far from its at-risk share, so it lands in "due soon".
 */
async function seedAccountWithShortSla(client) {
  const account = await client.accounts.createAccount({ account: { displayName: unique("Pump Works") } });
  const calendar = await client.serviceLevels.createBusinessCalendar({
    calendar: { displayName: unique("Round the clock"), timeZone: "UTC", alwaysOpen: true },
  });
  const targets = [kam.Priority.P1, kam.Priority.P2, kam.Priority.P3, kam.Priority.P4].map((priority) => ({
    priority,
    firstResponseMinutes: 60,
    resolutionMinutes: 120,
  }));
  await client.serviceLevels.createSlaPolicy({
    policy: { displayName: unique("Short targets"), accountId: account.id, calendarId: calendar.id, targets },
  });
  return account;
}

/** The board, showing the live indicator as live (so events from now on reach it). */
async function openBoard(page) {
  await page.getByRole("link", { name: /SLA board|服务看板/ }).first().click();
  await page.waitForURL(/\/service$/);
  await page.locator('[data-testid="live-status"][data-state="live"]').waitFor({ timeout: 15_000 });
}

test("a request created through the API appears on the open board without a reload", async () => {
  const client = api();
  const account = await seedAccountWithShortSla(client);
  const page = await openPage(browser);
  await openBoard(page);
  let reloaded = false;
  page.on("framenavigated", (frame) => {
    if (frame === page.mainFrame()) reloaded = true;
  });

  const title = unique("Hydraulic pump leaking");
  const created = await client.serviceLevels.createServiceRequest({
    serviceRequest: { accountId: account.id, title, priority: kam.Priority.P2 },
  });
  assert.equal(created.firstResponse.state, kam.SlaTarget_State.IN_PROGRESS);

  const card = page.getByTestId("column-dueSoon").locator(`[data-request-id="${created.id}"]`);
  await card.waitFor({ timeout: 8_000 });
  assert.equal(reloaded, false, "the page was reloaded");
  assert.match(await card.innerText(), new RegExp(title));
  await card.getByText(account.displayName).waitFor();
  assert.match(await card.innerText(), /P2/);
  assert.match(await card.innerText(), /Unassigned/);
  assert.match(await card.innerText(), /First response: (1 h|\d+ min) left/);

  // A status change elsewhere moves it live too: resolved, it leaves the board.
  await client.serviceLevels.changeServiceRequestStatus({ id: created.id, status: kam.ServiceRequest_Status.RESOLVED });
  await card.waitFor({ state: "detached", timeout: 8_000 });
  assert.equal(reloaded, false, "the page was reloaded");

  await checkA11y(page, "SLA board");
  await screenshot(page, "service-board");
  assert.deepEqual(page.kamErrors, []);
  await page.context().close();
});

test("the request page shows clocks and history, records the first response and changes the status", async () => {
  const client = api();
  const account = await seedAccountWithShortSla(client);
  const { staff: agent, key } = await newStaff(client, { roles: [kam.Role.SERVICE_AGENT] });
  const title = unique("Conveyor stopped");
  const created = await client.serviceLevels.createServiceRequest({
    serviceRequest: { accountId: account.id, title, priority: kam.Priority.P1, assigneeStaffId: agent.id },
  });

  const page = await openPage(browser, { key });
  await openBoard(page);
  const card = page.getByTestId("column-dueSoon").locator(`[data-request-id="${created.id}"]`);
  await card.getByText(agent.fullName).waitFor();
  await checkA11y(page, "SLA board (service agent)");
  await card.getByRole("link", { name: title }).click();
  await page.waitForURL(new RegExp(`/service/${created.id}$`));

  await page.getByRole("heading", { level: 1, name: title }).waitFor();
  const clocks = page.getByTestId("sla-clocks");
  await clocks.locator('tr[data-target="first_response"]').getByText("Running").waitFor();
  await clocks.locator('tr[data-target="resolution"]').getByText("Running").waitFor();
  const history = page.getByTestId("status-history");
  await history.getByRole("cell", { name: "New", exact: true }).first().waitFor();
  assert.equal(
    await page.getByRole("link", { name: account.displayName }).getAttribute("href"),
    `/accounts/${account.id}`,
  );

  await page.getByRole("button", { name: "Record first response" }).click();
  await page.getByTestId("first-response").getByText(/^Responded /).waitFor();
  await clocks.locator('tr[data-target="first_response"]').getByText("Met").waitFor();
  assert.equal(await page.getByRole("button", { name: "Record first response" }).count(), 0);
  const read = await client.serviceLevels.getServiceRequest({ id: created.id });
  assert.ok(read.firstResponseTime, "the first response was not recorded");

  // A status change with a note lands in the history.
  await page.getByLabel("New status").selectOption({ label: "In progress" });
  await page.getByLabel("Note (kept in the history)").fill("Technician on the way");
  await page.getByRole("button", { name: "Change status" }).click();
  await history.getByRole("cell", { name: "Technician on the way" }).waitFor();
  await page.getByTestId("request-status").getByText("In progress").waitFor();

  // A change made elsewhere shows at once (the page follows the live stream).
  await client.serviceLevels.changeServiceRequestStatus({
    id: created.id,
    status: kam.ServiceRequest_Status.WAITING_ON_CUSTOMER,
  });
  await page.getByTestId("request-status").getByText("Waiting on customer").waitFor();

  await checkA11y(page, "service request");
  await screenshot(page, "service-request");
  assert.deepEqual(page.kamErrors, []);
  await page.context().close();
});

test("without the live stream, a stale status change shows the server's refusal", async () => {
  const client = api();
  const account = await seedAccountWithShortSla(client);
  const created = await client.serviceLevels.createServiceRequest({
    serviceRequest: { accountId: account.id, title: unique("Valve stuck") },
  });
  const page = await openPage(browser);
  // The stream cannot be opened: the indicator says so, and the page keeps what it read.
  await page.route("**/kam.v1.IntegrationService/WatchEvents", (route) => route.abort());
  await page.goto(new URL(`/service/${created.id}`, page.url()).href);
  await page.getByRole("heading", { level: 1, name: /Valve stuck/ }).waitFor();
  await page.locator('[data-testid="live-status"][data-state="reconnecting"]').waitFor();

  // Cancelled behind the page's back: the page still offers "In progress", the server refuses.
  await client.serviceLevels.changeServiceRequestStatus({ id: created.id, status: kam.ServiceRequest_Status.CANCELLED });
  await page.getByLabel("New status").selectOption({ label: "In progress" });
  await page.getByRole("button", { name: "Change status" }).click();
  const alert = page.getByRole("alert");
  await alert.waitFor();
  assert.ok(["Aborted", "FailedPrecondition"].includes(await alert.getAttribute("data-code")));
  assert.notEqual(await alert.locator(".error-message").innerText(), "");
  await page.context().close();
});

test("a member off the account's team sees neither the card nor the request", async () => {
  const client = api();
  const account = await seedAccountWithShortSla(client);
  const { key } = await newStaff(client, { roles: [kam.Role.MEMBER] });
  const created = await client.serviceLevels.createServiceRequest({
    serviceRequest: { accountId: account.id, title: unique("Not yours") },
  });
  const page = await openPage(browser, { key });
  await openBoard(page);
  await page.getByTestId("column-dueSoon").getByRole("heading").waitFor();
  assert.equal(await page.locator(`[data-request-id="${created.id}"]`).count(), 0);

  await page.goto(new URL(`/service/${created.id}`, page.url()).href);
  const alert = page.getByRole("alert");
  await alert.waitFor();
  assert.equal(await alert.getAttribute("data-code"), "PermissionDenied");
  assert.equal(await page.getByRole("button", { name: "Record first response" }).count(), 0);
  await page.context().close();
});

test("the board in Chinese", async () => {
  const client = api();
  const account = await seedAccountWithShortSla(client);
  const created = await client.serviceLevels.createServiceRequest({
    serviceRequest: { accountId: account.id, title: unique("泵体泄漏"), priority: kam.Priority.P1 },
  });
  const page = await openPage(browser, { locale: "zh-CN" });
  await openBoard(page);
  const card = page.getByTestId("column-dueSoon").locator(`[data-request-id="${created.id}"]`);
  await card.waitFor();
  assert.match(await card.innerText(), /首次响应：剩余/);
  await page.getByRole("heading", { name: /即将到期/ }).waitFor();
  await page.getByRole("status").getByText("实时").waitFor();
  await checkA11y(page, "SLA board (zh-CN)");
  await screenshot(page, "service-board-zh");
  await page.context().close();
});
