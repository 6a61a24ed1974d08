/**
 * What the account page's sections derive from the server's answers, kept free of React and the DOM so
 * it can be tested on its own: the revenue series (a trailing year against the year before), the SLA
 * clock of a service request as it stands now, objective progress, and the interaction timeline.
 */
import type {
  AccountPlan,
  Date as KamDate,
  Interaction,
  Money,
  MonthlyRevenue_MonthTotal,
  PlanObjective,
  SlaTarget,
} from "@kam/client";
import { AccountPlan_Status, SlaTarget_State } from "@kam/client";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { addMoney } from "../../../format/money";

// ---------------------------------------------------------------------------------------------------
// Revenue
// ---------------------------------------------------------------------------------------------------

/** A month as a plain pair (the `$typeName` of kam.v1.Month is left to the request). */
export interface YearMonth {
  year: number;
  month: number;
}

/** Months since year 0, so that months compare and step as integers. */
export function monthIndex(period: YearMonth): number {
  return period.year * 12 + (period.month - 1);
}

export function monthAt(index: number): YearMonth {
  return { year: Math.floor(index / 12), month: (index % 12) + 1 };
}

/** The calendar month (UTC, as the server counts) that `now` falls in. */
export function currentMonth(now: Date): YearMonth {
  return { year: now.getUTCFullYear(), month: now.getUTCMonth() + 1 };
}

/**
 * The 24 months to ask GetMonthlyRevenue for: the trailing year ending with the current month and the
 * 12 months before it.
 */
export function revenueRange(now: Date): { from: YearMonth; to: YearMonth } {
  const to = currentMonth(now);
  return { from: monthAt(monthIndex(to) - 23), to };
}

export function zeroMoney(currencyCode: string): Money {
  return { $typeName: "kam.v1.Money", currencyCode, units: 0n, nanos: 0 };
}

export function negateMoney(money: Money): Money {
  return { ...money, units: -money.units, nanos: -money.nanos };
}

/** One month of the trailing year beside the same month a year before. */
export interface RevenueMonth {
  period: YearMonth;
  amount: Money;
  previousPeriod: YearMonth;
  previousAmount: Money;
}

export interface RevenueComparison {
  currencyCode: string;
  /** Twelve months, oldest first. */
  months: RevenueMonth[];
  total: Money;
  previousTotal: Money;
  /** total − previousTotal, exact. */
  change: Money;
}

/**
 * Lines the months the server returned up as trailing year (ending with `to`) against the year before.
 * A month the answer lacks counts as zero; months outside the 24 are ignored; totals are exact sums.
 */
export function compareRevenue(
  months: readonly Pick<MonthlyRevenue_MonthTotal, "period" | "amount">[],
  to: YearMonth,
  fallbackCurrency: string,
): RevenueComparison {
  const currencyCode =
    months.find((month) => month.amount?.currencyCode)?.amount?.currencyCode ?? fallbackCurrency;
  const byIndex = new Map<number, Money>();
  for (const month of months) {
    if (!month.period || !month.amount) continue;
    const index = monthIndex(month.period);
    const known = byIndex.get(index);
    byIndex.set(index, known ? addMoney(known, month.amount) : month.amount);
  }
  const amountAt = (index: number) => byIndex.get(index) ?? zeroMoney(currencyCode);
  const last = monthIndex(to);
  const series: RevenueMonth[] = [];
  let total = zeroMoney(currencyCode);
  let previousTotal = zeroMoney(currencyCode);
  for (let index = last - 11; index <= last; index++) {
    const amount = amountAt(index);
    const previousAmount = amountAt(index - 12);
    series.push({ period: monthAt(index), amount, previousPeriod: monthAt(index - 12), previousAmount });
    total = addMoney(total, amount);
    previousTotal = addMoney(previousTotal, previousAmount);
  }
  return { currencyCode, months: series, total, previousTotal, change: addMoney(total, negateMoney(previousTotal)) };
}

/**
 * The change in percent with one decimal, computed on the exact amounts (nanos) rather than floats;
 * undefined when the year before had nothing to compare with (or was negative).
 */
export function changePercent(total: Money, previousTotal: Money): number | undefined {
  const nanos = (money: Money) => money.units * 1_000_000_000n + BigInt(money.nanos);
  const previous = nanos(previousTotal);
  if (previous <= 0n) return undefined;
  const tenths = ((nanos(total) - previous) * 1000n) / previous;
  return Number(tenths) / 10;
}

// ---------------------------------------------------------------------------------------------------
// SLA clock
// ---------------------------------------------------------------------------------------------------

/** The badge a target shows. */
export type SlaBadge = "on_track" | "at_risk" | "breached" | "paused" | "met" | "cancelled" | "none";

export interface SlaClock {
  badge: SlaBadge;
  /** When it is (or was) due; undefined without a target. */
  due: Date | undefined;
  /** Minutes until due (negative: overdue), for a target still running or paused; else undefined. */
  minutesLeft: number | undefined;
}

/**
 * A target's clock as of `now`. The server computed the state when the list was read; a running
 * target moves on with time alone, so one whose at-risk or due time has passed since is shown as at
 * risk or breached without asking again. Settled states (paused, met, breached, cancelled) stay.
 */
export function slaClock(target: SlaTarget | undefined, now: Date): SlaClock {
  if (!target || target.state === SlaTarget_State.STATE_UNSPECIFIED) {
    return { badge: "none", due: undefined, minutesLeft: undefined };
  }
  const due = target.dueTime ? timestampDate(target.dueTime) : undefined;
  const atRisk = target.atRiskTime ? timestampDate(target.atRiskTime) : undefined;
  const minutesLeft = due ? (due.getTime() - now.getTime()) / 60_000 : undefined;
  switch (target.state) {
    case SlaTarget_State.IN_PROGRESS:
    case SlaTarget_State.AT_RISK: {
      let badge: SlaBadge = target.state === SlaTarget_State.AT_RISK ? "at_risk" : "on_track";
      if (atRisk && atRisk.getTime() <= now.getTime()) badge = "at_risk";
      if (due && due.getTime() < now.getTime()) badge = "breached";
      return { badge, due, minutesLeft };
    }
    case SlaTarget_State.PAUSED:
      return { badge: "paused", due, minutesLeft };
    case SlaTarget_State.BREACHED:
      // Breached and still unfulfilled: how long overdue; fulfilled late: nothing runs any more.
      return { badge: "breached", due, minutesLeft: target.fulfilledTime ? undefined : minutesLeft };
    case SlaTarget_State.MET:
      return { badge: "met", due, minutesLeft: undefined };
    case SlaTarget_State.CANCELLED:
      return { badge: "cancelled", due, minutesLeft: undefined };
    default:
      return { badge: "none", due, minutesLeft: undefined };
  }
}

const BADGE_SEVERITY: Record<SlaBadge, number> = {
  none: 0,
  cancelled: 0,
  met: 1,
  paused: 2,
  on_track: 3,
  at_risk: 4,
  breached: 5,
};

/** The request's overall badge: the worse of its two targets. */
export function worstBadge(...badges: SlaBadge[]): SlaBadge {
  return badges.reduce<SlaBadge>((worst, badge) => (BADGE_SEVERITY[badge] > BADGE_SEVERITY[worst] ? badge : worst), "none");
}

/** The colour class of a badge (styles.css: good, warn, bad; neutral otherwise). */
export function badgeTone(badge: SlaBadge): "good" | "warn" | "bad" | "" {
  switch (badge) {
    case "on_track":
    case "met":
      return "good";
    case "at_risk":
      return "warn";
    case "breached":
      return "bad";
    default:
      return "";
  }
}

// ---------------------------------------------------------------------------------------------------
// Plans and objectives
// ---------------------------------------------------------------------------------------------------

/** A date as comparable text `YYYY-MM-DD` (UTC calendar). */
export function dateKey(date: Pick<KamDate, "year" | "month" | "day">): string {
  return `${String(date.year).padStart(4, "0")}-${String(date.month).padStart(2, "0")}-${String(date.day).padStart(2, "0")}`;
}

export function todayKey(now: Date): string {
  return dateKey({ year: now.getUTCFullYear(), month: now.getUTCMonth() + 1, day: now.getUTCDate() });
}

export interface ObjectiveProgress {
  /** current / target in percent, rounded down, within 0..=100 (as the scorecard computes it). */
  percent: number;
  reached: boolean;
  /** Not reached and its due date has passed (today, UTC). */
  overdue: boolean;
}

export function objectiveProgress(
  objective: Pick<PlanObjective, "targetValue" | "currentValue" | "dueDate">,
  now: Date,
): ObjectiveProgress {
  const target = objective.targetValue;
  const current = objective.currentValue;
  const reached = target > 0n && current >= target;
  let percent = 0;
  if (target > 0n && current > 0n) {
    const raw = (current * 100n) / target;
    percent = raw > 100n ? 100 : Number(raw);
  }
  const due = objective.dueDate && objective.dueDate.year > 0 ? dateKey(objective.dueDate) : undefined;
  const overdue = !reached && due !== undefined && due < todayKey(now);
  return { percent, reached, overdue };
}

/**
 * The plan the page shows: the active one, else the newest draft, else the most recently closed (the
 * list comes in no promised order, so the choice is made here).
 */
export function currentPlan(plans: readonly AccountPlan[]): AccountPlan | undefined {
  const newest = (status: AccountPlan_Status) =>
    plans
      .filter((plan) => plan.status === status)
      .sort((a, b) => (timeMillis(b.createTime) - timeMillis(a.createTime)) || (a.id < b.id ? 1 : -1))[0];
  return newest(AccountPlan_Status.ACTIVE) ?? newest(AccountPlan_Status.DRAFT) ?? newest(AccountPlan_Status.CLOSED);
}

// ---------------------------------------------------------------------------------------------------
// Interactions
// ---------------------------------------------------------------------------------------------------

function timeMillis(time: { seconds: bigint; nanos: number } | undefined): number {
  return time ? Number(time.seconds) * 1000 + Math.floor(time.nanos / 1_000_000) : 0;
}

/**
 * The timeline: newest first by when the interaction took place, ties by id (UUIDv7: later logged
 * first), each interaction once; a later copy (an entry logged here, then found again on a page) wins.
 */
export function timeline(...batches: readonly (readonly Interaction[])[]): Interaction[] {
  const byId = new Map<string, Interaction>();
  for (const batch of batches) {
    for (const interaction of batch) byId.set(interaction.id, interaction);
  }
  return [...byId.values()].sort(
    (a, b) => timeMillis(b.occurTime) - timeMillis(a.occurTime) || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0),
  );
}

/** A `<input type="datetime-local">` value for a moment, in the browser's zone (e.g. 2026-12-06T14:05). */
export function localInputValue(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** Reads a `<input type="date">` value (YYYY-MM-DD) as a calendar date; undefined when blank or bad. */
export function parseDateInput(value: string): { year: number; month: number; day: number } | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) return undefined;
  return { year: Number(match[1]), month: Number(match[2]), day: Number(match[3]) };
}
