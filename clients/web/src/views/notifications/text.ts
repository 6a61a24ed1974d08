/**
 * A notification in words, rendered from its typed payload in the reader's language, e.g. "Contract
 * renewal of Acme in 12 days" or "Acme's health fell to At risk (55): Revenue decline, No recent
 * contact". Free of React and the DOM, so each kind can be tested on its own.
 *
 * Days are counted from `now`, not from when the watcher filed the notification: a key date read two
 * days late says "in 10 days", not "in 12".
 */
import {
  AccountHealth_Level,
  HealthSignal_Kind,
  KeyDateKind,
  type Date as KamDate,
  type Notification,
} from "@kam/client";
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import { formatDate } from "../../format/time";
import type { Locale } from "../../i18n/i18n";
import { CADENCE_KIND, HEALTH_LEVEL, HEALTH_SIGNAL, KEY_DATE_KIND, label } from "../../i18n/labels";
import { messages } from "./messages";

const DAY_MILLIS = 86_400_000;

/** The UTC midnight of a calendar date, in milliseconds. */
function dayMillis(date: Pick<KamDate, "year" | "month" | "day">): number {
  return Date.UTC(date.year, date.month - 1, date.day);
}

/** Whole days from today (UTC, as the server counts dates) to `date`; negative when it has passed. */
export function daysFromToday(date: Pick<KamDate, "year" | "month" | "day">, now: Date): number {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return Math.round((dayMillis(date) - today) / DAY_MILLIS);
}

function timestampMillis(time: Timestamp): number {
  return Number(time.seconds) * 1000 + Math.floor(time.nanos / 1_000_000);
}

/** How severe a level is: unassessed, healthy, watch, at risk. */
function severity(level: AccountHealth_Level): number {
  switch (level) {
    case AccountHealth_Level.HEALTHY:
      return 1;
    case AccountHealth_Level.WATCH:
      return 2;
    case AccountHealth_Level.AT_RISK:
      return 3;
    default:
      return 0;
  }
}

/** The notification's text in `locale`, as of `now`. */
export function notificationText(notification: Notification, locale: Locale, now: Date = new Date()): string {
  const t = messages[locale];
  const account = notification.accountDisplayName;
  const payload = notification.payload;
  switch (payload.case) {
    case "accountHealthChanged": {
      const change = payload.value;
      const health = change.health;
      const level = health?.level ?? AccountHealth_Level.LEVEL_UNSPECIFIED;
      const levelName = label(HEALTH_LEVEL, locale, level);
      const score = health?.score ?? 0;
      const name = health?.accountDisplayName || account;
      const signalNames = (kinds: readonly HealthSignal_Kind[]) =>
        kinds.map((kind) => label(HEALTH_SIGNAL, locale, kind)).join(t.signalSeparator);
      if (change.oldLevel === AccountHealth_Level.LEVEL_UNSPECIFIED) {
        const triggered = (health?.signals ?? []).filter((signal) => signal.triggered).map((signal) => signal.kind);
        return t.healthFirst(name, levelName, score, signalNames(triggered));
      }
      // The signals that moved it: for a fall those that trigger now, for a rise those that cleared.
      const triggeredNow = new Set((health?.signals ?? []).filter((s) => s.triggered).map((s) => s.kind));
      const fell = severity(level) > severity(change.oldLevel);
      const moved = change.movedSignals.filter((kind) => triggeredNow.has(kind) === fell);
      return (fell ? t.healthFell : t.healthRose)(name, levelName, score, signalNames(moved));
    }
    case "keyDateUpcoming": {
      const keyDate = payload.value.keyDate;
      if (!keyDate) return t.other(notification.eventType, account);
      const accountName = keyDate.accountDisplayName || account;
      const whose = keyDate.contactId === "" ? accountName : t.contactAt(keyDate.contactFullName, accountName);
      const days = keyDate.nextOccurrence ? daysFromToday(keyDate.nextOccurrence, now) : keyDate.daysUntil;
      const when = days === 0 ? t.today : days === 1 ? t.tomorrow : days > 1 ? t.inDays(days) : t.daysAgo(-days);
      let years = "";
      if (!keyDate.oneTime && keyDate.years > 0) {
        years = keyDate.kind === KeyDateKind.BIRTHDAY ? t.age(keyDate.years) : t.anniversary(keyDate.years);
      }
      return t.keyDate(label(KEY_DATE_KIND, locale, keyDate.kind), keyDate.label, whose, when, years);
    }
    case "cadenceOverdue": {
      const overdue = payload.value.overdue;
      if (!overdue) return t.other(notification.eventType, account);
      const days = overdue.dueTime
        ? Math.max(0, Math.floor((now.getTime() - timestampMillis(overdue.dueTime)) / DAY_MILLIS))
        : overdue.daysOverdue;
      return t.cadence(
        label(CADENCE_KIND, locale, overdue.kind),
        overdue.accountDisplayName || account,
        t.overdueBy(days),
        overdue.intervalDays,
      );
    }
    case "planActionOverdue": {
      const { action, accountDisplayName, daysOverdue } = payload.value;
      if (!action) return t.other(notification.eventType, account);
      const days = action.dueDate ? Math.max(0, -daysFromToday(action.dueDate, now)) : daysOverdue;
      return t.planAction(action.title, accountDisplayName || account, t.overdueBy(days), formatDate(action.dueDate, locale));
    }
    default:
      // A kind this build does not know yet (a newer server): its type and account.
      return t.other(notification.eventType, account);
  }
}
