/**
 * What the visit brief page derives from the brief, free of React and the DOM: the horizons offered,
 * the names of the people it mentions, which actions are overdue, and which lists were cut short.
 */
import type { AccountBrief, HealthSignal, Opportunity, PlanAction } from "@kam/client";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { dateKey } from "../account/sections/model";

/** The horizons the page offers, in days; the first is the server's default. */
export const HORIZONS = [30, 60, 90] as const;
export type Horizon = (typeof HORIZONS)[number];

/** A horizon from the address's `?horizon=`; the default for anything else. */
export function parseHorizon(search: string): Horizon {
  const value = Number(new URLSearchParams(search).get("horizon"));
  return (HORIZONS as readonly number[]).includes(value) ? (value as Horizon) : HORIZONS[0];
}

/**
 * Staff names by id: the team's seats (the brief names them), then whatever else is known (a staff
 * directory); an id neither knows shows as itself.
 */
export function staffNamesOf(brief: AccountBrief, known: ReadonlyMap<string, string>): Map<string, string> {
  const names = new Map(known);
  for (const seat of brief.team) {
    if (seat.member && seat.fullName !== "") names.set(seat.member.staffId, seat.fullName);
  }
  return names;
}

/** The day the brief was read (UTC, as the server counts due dates), as comparable `YYYY-MM-DD`. */
export function readDay(brief: AccountBrief): string | undefined {
  if (!brief.readTime) return undefined;
  const read = timestampDate(brief.readTime);
  return dateKey({ year: read.getUTCFullYear(), month: read.getUTCMonth() + 1, day: read.getUTCDate() });
}

/** An action due before the day the brief was read. */
export function isOverdue(action: Pick<PlanAction, "dueDate">, day: string | undefined): boolean {
  return day !== undefined && action.dueDate !== undefined && action.dueDate.year > 0 && dateKey(action.dueDate) < day;
}

/** The probability that counts: the override when one is set. */
export function probabilityOf(opportunity: Pick<Opportunity, "probability" | "probabilityOverride">): number {
  return opportunity.probabilityOverride ?? opportunity.probability;
}

/** Triggered signals first, heaviest first; the server's order otherwise. */
export function orderSignals(signals: readonly HealthSignal[]): HealthSignal[] {
  return [...signals].sort((a, b) => Number(b.triggered) - Number(a.triggered) || b.penalty - a.penalty);
}

/** The lists the brief cut short, by the names `truncated` uses (e.g. "key_people"). */
export function truncatedLists(brief: Pick<AccountBrief, "truncated">): Set<string> {
  return new Set(brief.truncated);
}

/** current / target in percent, rounded down, within 0..=100 (as the scorecard counts). */
export function objectivePercent(current: bigint, target: bigint): number {
  if (target <= 0n || current <= 0n) return 0;
  const raw = (current * 100n) / target;
  return raw > 100n ? 100 : Number(raw);
}

/** A month for people, e.g. `Dec 2026` or `2026年12月`. */
export function formatMonth(month: { year: number; month: number } | undefined, locale: string): string {
  if (!month || month.month === 0) return "";
  return new Intl.DateTimeFormat(locale, { timeZone: "UTC", year: "numeric", month: "short" }).format(
    new Date(Date.UTC(month.year, month.month - 1, 1)),
  );
}

/** The calendar day of a time, in the browser's zone, e.g. `7 Dec 2026`; "" when absent. */
export function formatDay(time: Parameters<typeof timestampDate>[0] | undefined, locale: string): string {
  return time ? new Intl.DateTimeFormat(locale, { dateStyle: "medium" }).format(timestampDate(time)) : "";
}

/** The change in percent, signed: `+20 %`, `−5 %`, `0 %`. */
export function signedPercent(percent: number, locale: string): string {
  const sign = percent > 0 ? "+" : percent < 0 ? "−" : "";
  return locale === "zh-CN" ? `${sign}${Math.abs(percent)}%` : `${sign}${Math.abs(percent)} %`;
}
