/** The text of each kind of notification, rendered from its typed payload in English and Chinese. */
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  AccountHealth_Level,
  CadenceKind,
  HealthSignal_Kind,
  KeyDateKind,
  NotificationSchema,
  Recipient_Reason,
  type Notification,
} from "@kam/client";
import { describe, expect, test } from "vitest";
import { messages, REASON } from "../src/views/notifications/messages";
import { daysFromToday, notificationText } from "../src/views/notifications/text";

/** 7 December 2026, mid-morning UTC. */
const NOW = new Date("2026-12-07T09:30:00Z");

const date = (year: number, month: number, day: number) => ({ year, month, day });

type Payload = MessageInitShape<typeof NotificationSchema>["payload"];

function notification(payload: Payload, accountDisplayName = "Acme"): Notification {
  return create(NotificationSchema, {
    id: "n1",
    staffId: "s1",
    reason: Recipient_Reason.ACCOUNT_MANAGER,
    accountId: "a1",
    accountDisplayName,
    payload,
  });
}

function signals(triggered: HealthSignal_Kind[], clear: HealthSignal_Kind[] = []) {
  return [
    ...triggered.map((kind) => ({ kind, triggered: true, weight: 25, penalty: 25 })),
    ...clear.map((kind) => ({ kind, triggered: false, weight: 15, penalty: 0 })),
  ];
}

function healthChanged(oldLevel: AccountHealth_Level, level: AccountHealth_Level, score: number, moved: HealthSignal_Kind[], triggered: HealthSignal_Kind[], clear: HealthSignal_Kind[] = []) {
  return notification({
    case: "accountHealthChanged",
    value: {
      oldLevel,
      oldScore: 90,
      health: { accountDisplayName: "Acme", score, level, signals: signals(triggered, clear) },
      movedSignals: moved,
    },
  });
}

describe("AccountHealthChanged", () => {
  test("a fall names the level, the score and the signals that now trigger", () => {
    const fell = healthChanged(
      AccountHealth_Level.HEALTHY,
      AccountHealth_Level.AT_RISK,
      55,
      [HealthSignal_Kind.REVENUE_DECLINE, HealthSignal_Kind.SILENCE],
      [HealthSignal_Kind.REVENUE_DECLINE, HealthSignal_Kind.SILENCE],
    );
    expect(notificationText(fell, "en", NOW)).toBe("Acme's health fell to At risk (55): Revenue decline, No recent contact");
    expect(notificationText(fell, "zh-CN", NOW)).toBe("Acme 的健康度降至“有流失风险”（55 分）：营收下滑、长期未联系");
  });

  test("a rise names the signals that cleared", () => {
    const rose = healthChanged(
      AccountHealth_Level.AT_RISK,
      AccountHealth_Level.WATCH,
      75,
      [HealthSignal_Kind.SLA_BREACHES],
      [HealthSignal_Kind.REVENUE_DECLINE],
      [HealthSignal_Kind.SLA_BREACHES],
    );
    expect(notificationText(rose, "en", NOW)).toBe("Acme's health rose to Watch (75): SLA breaches cleared");
    expect(notificationText(rose, "zh-CN", NOW)).toBe("Acme 的健康度升至“需关注”（75 分）：SLA 超时已解除");
  });

  test("a first assessment names every signal that triggers", () => {
    const first = healthChanged(
      AccountHealth_Level.LEVEL_UNSPECIFIED,
      AccountHealth_Level.WATCH,
      70,
      [],
      [HealthSignal_Kind.LOW_TEAM_FEEDBACK],
      [HealthSignal_Kind.SILENCE],
    );
    expect(notificationText(first, "en", NOW)).toBe("Acme's health was first assessed as Watch (70): Low team feedback");
    expect(notificationText(first, "zh-CN", NOW)).toBe("Acme 的健康度首次评估为“需关注”（70 分）：团队评价偏低");
  });
});

function keyDateUpcoming(keyDate: Record<string, unknown>) {
  return notification({
    case: "keyDateUpcoming",
    value: {
      keyDate: { accountId: "a1", accountDisplayName: "Acme", ...keyDate },
      noticeDays: 90,
    },
  });
}

describe("KeyDateUpcoming", () => {
  test("an account's own date, counted from today", () => {
    const renewal = keyDateUpcoming({
      kind: KeyDateKind.CONTRACT_RENEWAL,
      date: date(2026, 12, 19),
      nextOccurrence: date(2026, 12, 19),
      daysUntil: 14,
      oneTime: true,
    });
    expect(notificationText(renewal, "en", NOW)).toBe("Contract renewal of Acme in 12 days");
    expect(notificationText(renewal, "zh-CN", NOW)).toBe("Acme的合同续签还有 12 天");
  });

  test("a contact's birthday with the age it marks, today and tomorrow", () => {
    const birthday = (day: number) =>
      keyDateUpcoming({
        contactId: "c1",
        contactFullName: "Li Wei",
        kind: KeyDateKind.BIRTHDAY,
        date: date(1975, 12, day),
        nextOccurrence: date(2026, 12, day),
        years: 51,
      });
    expect(notificationText(birthday(7), "en", NOW)).toBe("Birthday of Li Wei (Acme) today (turns 51)");
    expect(notificationText(birthday(8), "en", NOW)).toBe("Birthday of Li Wei (Acme) tomorrow (turns 51)");
    expect(notificationText(birthday(8), "zh-CN", NOW)).toBe("Li Wei（Acme）的生日（51 岁）就在明天");
  });

  test("a labelled yearly event with its anniversary, and one already past", () => {
    const forum = keyDateUpcoming({
      kind: KeyDateKind.CUSTOMER_EVENT,
      label: "Supplier forum",
      date: date(2016, 12, 10),
      nextOccurrence: date(2026, 12, 10),
      years: 10,
    });
    expect(notificationText(forum, "en", NOW)).toBe("Customer event “Supplier forum” of Acme in 3 days (10 years)");
    expect(notificationText(forum, "zh-CN", NOW)).toBe("Acme的客户活动“Supplier forum”（10 周年）还有 3 天");
    const past = keyDateUpcoming({ kind: KeyDateKind.FOUNDING_ANNIVERSARY, nextOccurrence: date(2026, 12, 5) });
    expect(notificationText(past, "en", NOW)).toBe("Founding anniversary of Acme 2 days ago");
  });

  test("without the next occurrence, the watcher's count", () => {
    const renewal = keyDateUpcoming({ kind: KeyDateKind.CONTRACT_RENEWAL, daysUntil: 30 });
    expect(notificationText(renewal, "en", NOW)).toBe("Contract renewal of Acme in 30 days");
  });
});

describe("CadenceOverdue", () => {
  const cadence = (kind: CadenceKind, dueTime: Date | undefined, daysOverdue = 0) =>
    notification({
      case: "cadenceOverdue",
      value: {
        overdue: {
          accountId: "a1",
          accountDisplayName: "Acme",
          kind,
          intervalDays: 30,
          daysOverdue,
          ...(dueTime ? { dueTime: timestampFromDate(dueTime) } : {}),
        },
      },
    });

  test("the days since it fell due, now", () => {
    const visit = cadence(CadenceKind.EXECUTIVE_VISIT_DUE, new Date("2026-12-02T08:00:00Z"));
    expect(notificationText(visit, "en", NOW)).toBe("Executive visit with Acme is 5 days overdue (every 30 days)");
    expect(notificationText(visit, "zh-CN", NOW)).toBe("Acme 的高层拜访已逾期 5 天（每 30 天一次）");
    const touch = cadence(CadenceKind.ACCOUNT_MANAGER_TOUCH_DUE, new Date("2026-12-07T08:00:00Z"));
    expect(notificationText(touch, "en", NOW)).toBe("Account manager contact with Acme is due today (every 30 days)");
    expect(notificationText(touch, "zh-CN", NOW)).toBe("Acme 的客户经理联系今天到期（每 30 天一次）");
  });

  test("without a due time, the watcher's count", () => {
    expect(notificationText(cadence(CadenceKind.EXECUTIVE_VISIT_DUE, undefined, 1), "en", NOW)).toBe(
      "Executive visit with Acme is 1 day overdue (every 30 days)",
    );
  });
});

describe("PlanActionOverdue", () => {
  const overdue = (dueDate: ReturnType<typeof date> | undefined, daysOverdue = 0) =>
    notification({
      case: "planActionOverdue",
      value: {
        action: { id: "p1", title: "Visit the Jinshan plant", ...(dueDate ? { dueDate } : {}) },
        accountDisplayName: "Acme",
        daysOverdue,
      },
    });

  test("the title, the days past due and the due date", () => {
    const action = overdue(date(2026, 12, 5));
    expect(notificationText(action, "en", NOW)).toBe("Plan action “Visit the Jinshan plant” for Acme is 2 days overdue (due Dec 5, 2026)");
    expect(notificationText(action, "zh-CN", NOW)).toBe("Acme 的计划行动“Visit the Jinshan plant”已逾期 2 天（截止 2026年12月5日）");
  });

  test("without a due date, the watcher's count", () => {
    expect(notificationText(overdue(undefined, 3), "en", NOW)).toBe("Plan action “Visit the Jinshan plant” for Acme is 3 days overdue");
  });
});

describe("other notifications", () => {
  test("a kind this build does not know shows its type and account", () => {
    const unknown = create(NotificationSchema, { eventType: "SomethingNew", accountDisplayName: "Acme" });
    expect(notificationText(unknown, "en", NOW)).toBe("SomethingNew: Acme");
    expect(notificationText(unknown, "zh-CN", NOW)).toBe("SomethingNew：Acme");
  });

  test("a payload without its inner message falls back the same way", () => {
    const empty = notification({
      case: "planActionOverdue",
      value: {},
    });
    empty.eventType = "PlanActionOverdue";
    expect(notificationText(empty, "en", NOW)).toBe("PlanActionOverdue: Acme");
  });

  test("the reasons and the bell's label in both languages", () => {
    expect(REASON.en[Recipient_Reason.ACTION_OWNER]).toBe("the action's owner");
    expect(messages.en.whyTold(REASON.en[Recipient_Reason.ACCOUNT_MANAGER]!)).toBe("You are told as its account manager");
    expect(messages["zh-CN"].whyTold(REASON["zh-CN"][Recipient_Reason.EXECUTIVE_SPONSOR]!)).toBe("通知原因：您是高层发起人");
    expect(messages.en.bell(0)).toBe("Notifications, none unread");
    expect(messages.en.bell(3)).toBe("Notifications, 3 unread");
    expect(messages["zh-CN"].bell(3)).toBe("通知，3 条未读");
  });

  test("days are counted between UTC calendar days", () => {
    expect(daysFromToday(date(2026, 12, 7), NOW)).toBe(0);
    expect(daysFromToday(date(2027, 1, 1), NOW)).toBe(25);
    expect(daysFromToday(date(2026, 11, 30), new Date("2026-12-01T00:30:00+08:00"))).toBe(0);
  });
});
