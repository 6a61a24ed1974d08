/**
 * Notifications against a real server whose watcher looks every few seconds (tests/tests/web_app.rs
 * sets `notifications.watch_interval_seconds`): two plan actions past their due date, owned by a team
 * member, are filed as PlanActionOverdue for them; the bell in the top bar counts the unread, the
 * notifications page says what happened in the reader's language, links to the account and its
 * brief, and marks them read one at a time or all at once, the unread-only filter following.
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

const DAY = 86_400_000;

function inDays(days) {
  const date = new Date(Date.now() + days * DAY);
  return { year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate() };
}

/** The NotificationService as `key` (the harness's `api()` predates it). */
function notificationsOf(key) {
  const transport = kam.kamTransport({ baseUrl: env.appUrl, credential: () => key });
  return kam.createClient(kam.NotificationService, transport);
}

/** Polls until `check` holds for the caller's notifications: the watcher runs on its own clock. */
async function waitForNotifications(client, check, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const answer = await client.listNotifications({ pageSize: 100 });
    if (check(answer)) return answer;
    if (Date.now() > deadline) {
      throw new Error(`the watcher filed no matching notification in ${timeoutMs} ms: ${answer.notifications.length} seen`);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** A team member (MEMBER, sales specialist on the team) who owns two actions past their due date. */
async function seedOverdueActions() {
  const admin = api();
  const member = await newStaff(admin, { name: unique("Sam Specialist"), roles: [kam.Role.MEMBER] });
  const account = await admin.accounts.createAccount({ account: { displayName: unique("Overdue Valves") } });
  await admin.teams.addTeamMember({
    member: { accountId: account.id, staffId: member.staff.id, role: kam.TeamRole.SALES_SPECIALIST },
  });
  const plan = await admin.planning.createAccountPlan({
    plan: { accountId: account.id, name: unique("Plan"), periodStart: inDays(-60), periodEnd: inDays(300) },
    requestId: crypto.randomUUID(),
  });
  await admin.planning.changeAccountPlanStatus({ id: plan.id, status: kam.AccountPlan_Status.ACTIVE, etag: plan.etag });
  const action = (title, days) =>
    admin.planning.createPlanAction({
      action: { planId: plan.id, title: unique(title), ownerStaffId: member.staff.id, dueDate: inDays(days) },
      requestId: crypto.randomUUID(),
    });
  const older = await action("Send the audit report", -3);
  const newer = await action("Call the buyer", -1);
  const client = notificationsOf(member.key);
  const listed = await waitForNotifications(
    client,
    (answer) =>
      [older.id, newer.id].every((id) =>
        answer.notifications.some((n) => n.payload.case === "planActionOverdue" && n.payload.value.action?.id === id),
      ),
  );
  const byAction = (id) => listed.notifications.find((n) => n.payload.value.action?.id === id);
  return { member, account, older, newer, client, olderNote: byAction(older.id), newerNote: byAction(newer.id) };
}

const bell = (page) => page.getByTestId("notification-bell");

test("overdue plan actions are notified, counted in the bell, and marked read", async () => {
  const seeded = await seedOverdueActions();
  assert.equal(seeded.olderNote.reason, kam.Recipient_Reason.ACTION_OWNER);
  assert.equal(seeded.olderNote.readTime, undefined);

  const page = await openPage(browser, { key: seeded.member.key });
  await page.getByRole("link", { name: "Notifications, 2 unread" }).waitFor();
  assert.equal(await bell(page).innerText(), "2");
  await bell(page).click();
  await page.getByRole("heading", { name: "Notifications", level: 1 }).waitFor();
  assert.equal(new URL(page.url()).pathname, "/notifications");
  assert.equal(await bell(page).getAttribute("aria-current"), "page");

  // Newest first; each in words, unread highlighted, with the way to the account and its brief.
  const list = page.getByTestId("notifications");
  const older = list.getByTestId(`notification-${seeded.olderNote.id}`);
  const newer = list.getByTestId(`notification-${seeded.newerNote.id}`);
  await older.waitFor();
  const shown = await list.locator("> li").evaluateAll((items) => items.map((item) => item.dataset.testid));
  const served = (await seeded.client.listNotifications({})).notifications.map((n) => `notification-${n.id}`);
  assert.deepEqual(shown, served, "in the server's order, newest first");
  assert.match(
    await older.locator(".notification-text").innerText(),
    new RegExp(`Plan action “${seeded.older.title}” for ${seeded.account.displayName} is 3 days overdue \\(due `),
  );
  assert.match(await newer.locator(".notification-text").innerText(), /is 1 day overdue/);
  await older.getByText("You are told as the action's owner").waitFor();
  assert.equal(await older.getAttribute("data-unread"), "true");
  assert.match(await older.getAttribute("class"), /\bunread\b/);
  assert.equal(
    await older.getByRole("link", { name: seeded.account.displayName }).getAttribute("href"),
    `/accounts/${seeded.account.id}`,
  );
  assert.equal(await older.getByRole("link", { name: "Visit brief" }).getAttribute("href"), `/accounts/${seeded.account.id}/brief`);
  await page.getByTestId("unread-total").filter({ hasText: "2 unread" }).waitFor();
  await screenshot(page, "notifications");
  await checkA11y(page, "notifications");

  // One marked read: no longer highlighted, the bell counts one.
  await older.getByRole("button", { name: "Mark read" }).click();
  await page.getByRole("link", { name: "Notifications, 1 unread" }).waitFor();
  await older.getByRole("button", { name: "Mark unread" }).waitFor();
  assert.equal(await older.getAttribute("data-unread"), "false");
  const stored = await seeded.client.listNotifications({ unreadOnly: true });
  assert.deepEqual(
    stored.notifications.map((n) => n.id),
    [seeded.newerNote.id],
  );
  assert.equal(stored.unreadCount, 1);

  // The unread only.
  await page.getByRole("checkbox", { name: "Unread only" }).check();
  await older.waitFor({ state: "detached" });
  await newer.waitFor();
  assert.equal(await list.locator("> li").count(), 1);

  // All read: the bell is quiet, the filtered list empty.
  await page.getByRole("button", { name: "Mark all read" }).click();
  await page.getByRole("link", { name: "Notifications, none unread" }).waitFor();
  await page.getByText("No unread notifications.").waitFor();
  assert.equal((await seeded.client.listNotifications({ unreadOnly: true })).unreadCount, 0);
  assert.equal(await page.getByRole("button", { name: "Mark all read" }).isDisabled(), true);

  // Back to everything: both there, read; one marked unread again.
  await page.getByRole("checkbox", { name: "Unread only" }).uncheck();
  await older.getByRole("button", { name: "Mark unread" }).click();
  await page.getByRole("link", { name: "Notifications, 1 unread" }).waitFor();
  assert.equal(await older.getAttribute("data-unread"), "true");

  // The brief link opens the account's brief.
  await older.getByRole("link", { name: "Visit brief" }).click();
  await page.getByRole("heading", { name: `Visit brief: ${seeded.account.displayName}` }).waitFor();

  assert.deepEqual(page.kamErrors, []);
  await page.context().close();
});

test("notifications read in Chinese", async () => {
  const seeded = await seedOverdueActions();
  const page = await openPage(browser, { key: seeded.member.key, locale: "zh-CN" });
  await page.getByRole("link", { name: "通知，2 条未读" }).click();
  await page.getByRole("heading", { name: "通知", level: 1 }).waitFor();
  const older = page.getByTestId(`notification-${seeded.olderNote.id}`);
  assert.match(
    await older.locator(".notification-text").innerText(),
    new RegExp(`${seeded.account.displayName} 的计划行动“${seeded.older.title}”已逾期 3 天（截止 `),
  );
  await older.getByText("通知原因：您是该行动的负责人").waitFor();
  await older.getByRole("button", { name: "标为已读" }).waitFor();
  await screenshot(page, "notifications-zh-CN");
  await checkA11y(page, "notifications zh-CN");
  assert.deepEqual(page.kamErrors, []);
  await page.context().close();
});
