/**
 * The account list without a DOM: which server filters a search sends, the industry
 * filter (ListAccountsRequest has none), and the join of the portfolio reports (health, SLA, cadence,
 * key dates) onto the loaded rows by account id. Each report is read once for the whole portfolio and
 * joined here, so a row never costs a request of its own.
 */
import {
  AccountHealth_Level,
  Lifecycle,
  Tier,
  type Account,
  type AccountHealth,
  type Date as KamDate,
  type OverdueCadence,
  type ServiceRequest,
  type UpcomingKeyDate,
} from "@kam/client";

/** What the person chose above the list; the server filters by all of it. */
export interface AccountFilters {
  query: string;
  tier: Tier;
  region: string;
  lifecycle: Lifecycle;
  industry: string;
  /** An Industry's and a Region's code: the accounts under it or below it; "" for any. */
  industryCode: string;
  regionCode: string;
  orderBy: AccountOrder;
}

/** The orders ListAccounts accepts (`order_by`). */
export const ACCOUNT_ORDERS = [
  "display_name",
  "display_name desc",
  "create_time desc",
  "create_time",
  "update_time desc",
  "update_time",
] as const;
export type AccountOrder = (typeof ACCOUNT_ORDERS)[number];

export const NO_FILTERS: AccountFilters = {
  query: "",
  tier: Tier.TIER_UNSPECIFIED,
  region: "",
  lifecycle: Lifecycle.LIFECYCLE_UNSPECIFIED,
  industry: "",
  industryCode: "",
  regionCode: "",
  orderBy: "display_name",
};

/** Rows per ListAccounts page: enough to fill a screen or two, small enough to draw at once. */
export const PAGE_SIZE = 100;

/** The ListAccounts request for the filters. */
export function listRequest(filters: AccountFilters, pageToken: string) {
  return {
    pageSize: PAGE_SIZE,
    pageToken,
    query: filters.query.trim(),
    tier: filters.tier,
    region: filters.region.trim(),
    industry: filters.industry.trim(),
    industryCode: filters.industryCode,
    regionCode: filters.regionCode,
    lifecycle: filters.lifecycle,
    orderBy: filters.orderBy,
  };
}

/** The distinct industries of the loaded accounts, sorted, as suggestions for the exact filter. */
export function industriesOf(accounts: readonly Account[]): string[] {
  const names = new Set(accounts.map((account) => account.industry.trim()).filter((name) => name !== ""));
  return [...names].sort((a, b) => a.localeCompare(b));
}

// ---------------------------------------------------------------------------------------------------
// Portfolio figures
// ---------------------------------------------------------------------------------------------------

/**
 * What one report says about the accounts: a value per account it names, and whether the report was
 * read to its end. Only a complete report lets an absent account mean "nothing" (no overdue cadence,
 * no ticket at risk); from an incomplete (or failed) one, absence means "unknown".
 */
export interface Report<T> {
  byAccount: ReadonlyMap<string, T>;
  complete: boolean;
}

export function emptyReport<T>(): Report<T> {
  return { byAccount: new Map(), complete: false };
}

export interface HealthFigure {
  score: number;
  level: AccountHealth_Level;
}

export interface SlaFigure {
  /** Open requests with a target at risk and none breached. */
  atRisk: number;
  /** Open requests with a breached target. */
  breached: number;
}

export interface CadenceFigure {
  /** The longest a cadence of the account is overdue, in whole days. */
  daysOverdue: number;
  /** How many cadence kinds are overdue (executive visit, account manager touch). */
  count: number;
}

export interface KeyDateFigure {
  contactName: string;
  label: string;
  date: KamDate | undefined;
  daysUntil: number;
}

export interface PortfolioReports {
  health: Report<HealthFigure>;
  sla: Report<SlaFigure>;
  cadence: Report<CadenceFigure>;
  keyDates: Report<KeyDateFigure>;
}

/** A figure of a row: known (a value, or `null` for "none"), or unknown (shown as "—"). */
export type Figure<T> = { known: true; value: T | null } | { known: false };

export interface AccountRow {
  account: Account;
  health: Figure<HealthFigure>;
  sla: Figure<SlaFigure>;
  cadence: Figure<CadenceFigure>;
  nextKeyDate: Figure<KeyDateFigure>;
}

const UNKNOWN = { known: false } as const;

/** The figure for an account: the report's value, "none" when a complete report omits it, else unknown. */
export function figureOf<T>(report: Report<T>, accountId: string): Figure<T> {
  const value = report.byAccount.get(accountId);
  if (value !== undefined) return { known: true, value };
  return report.complete ? { known: true, value: null } : UNKNOWN;
}

/** Joins the reports onto the rows by account id. */
export function joinRows(accounts: readonly Account[], reports: PortfolioReports): AccountRow[] {
  return accounts.map((account) => ({
    account,
    // ListAtRiskAccounts with max_score 101 lists every live account: a missing score is unknown
    // (a deleted account, or the report not read to its end), never "none".
    health: knownOnly(figureOf(reports.health, account.id)),
    sla: zeroWhenNone(figureOf(reports.sla, account.id), { atRisk: 0, breached: 0 }),
    cadence: figureOf(reports.cadence, account.id),
    nextKeyDate: figureOf(reports.keyDates, account.id),
  }));
}

function knownOnly<T>(figure: Figure<T>): Figure<T> {
  return figure.known && figure.value === null ? UNKNOWN : figure;
}

function zeroWhenNone<T>(figure: Figure<T>, zero: T): Figure<T> {
  return figure.known && figure.value === null ? { known: true, value: zero } : figure;
}

/** Health scores by account from ListAtRiskAccounts pages. */
export function healthByAccount(healths: readonly AccountHealth[]): Map<string, HealthFigure> {
  return new Map(healths.map((health) => [health.accountId, { score: health.score, level: health.level }]));
}

/**
 * Open requests at risk or breached, by account, from the two ListServiceRequests lists (filtered by
 * SLA state). A request with one target at risk and the other breached is in both lists: it counts
 * once, as breached.
 */
export function slaByAccount(
  atRisk: readonly ServiceRequest[],
  breached: readonly ServiceRequest[],
): Map<string, SlaFigure> {
  const breachedIds = new Set(breached.map((request) => request.id));
  const seen = new Set<string>();
  const figures = new Map<string, SlaFigure>();
  const figureFor = (accountId: string) => {
    let figure = figures.get(accountId);
    if (!figure) {
      figure = { atRisk: 0, breached: 0 };
      figures.set(accountId, figure);
    }
    return figure;
  };
  for (const request of breached) {
    if (seen.has(request.id)) continue;
    seen.add(request.id);
    figureFor(request.accountId).breached += 1;
  }
  for (const request of atRisk) {
    if (seen.has(request.id) || breachedIds.has(request.id)) continue;
    seen.add(request.id);
    figureFor(request.accountId).atRisk += 1;
  }
  return figures;
}

/** Overdue cadence by account: the worst overdue and how many kinds are overdue. */
export function cadenceByAccount(overdue: readonly OverdueCadence[]): Map<string, CadenceFigure> {
  const figures = new Map<string, CadenceFigure>();
  for (const item of overdue) {
    const previous = figures.get(item.accountId);
    figures.set(item.accountId, {
      daysOverdue: Math.max(previous?.daysOverdue ?? 0, item.daysOverdue),
      count: (previous?.count ?? 0) + 1,
    });
  }
  return figures;
}

/** The soonest upcoming key date per account (ties: the first listed). */
export function nextKeyDateByAccount(dates: readonly UpcomingKeyDate[]): Map<string, KeyDateFigure> {
  const figures = new Map<string, KeyDateFigure>();
  for (const date of dates) {
    const previous = figures.get(date.accountId);
    if (previous && previous.daysUntil <= date.daysUntil) continue;
    figures.set(date.accountId, {
      contactName: date.contactFullName,
      label: date.label,
      date: date.nextOccurrence,
      daysUntil: date.daysUntil,
    });
  }
  return figures;
}

/** How a health score reads: the server's level, else the default thresholds (80, 60). */
export function healthTone(figure: HealthFigure): "good" | "warn" | "bad" {
  switch (figure.level) {
    case AccountHealth_Level.HEALTHY:
      return "good";
    case AccountHealth_Level.WATCH:
      return "warn";
    case AccountHealth_Level.AT_RISK:
      return "bad";
    default:
      return figure.score < 60 ? "bad" : figure.score < 80 ? "warn" : "good";
  }
}

// ---------------------------------------------------------------------------------------------------
// The "New account" form
// ---------------------------------------------------------------------------------------------------

export interface NewAccountDraft {
  displayName: string;
  legalName: string;
  industry: string;
  region: string;
  /** The Industry and Region codes to classify it under; "" to leave it to the free text. */
  industryCode: string;
  regionCode: string;
  lifecycle: Lifecycle;
}

export const EMPTY_DRAFT: NewAccountDraft = {
  displayName: "",
  legalName: "",
  industry: "",
  region: "",
  industryCode: "",
  regionCode: "",
  lifecycle: Lifecycle.PROSPECT,
};

/** The account to create, trimmed as people mean it. */
export function accountFromDraft(draft: NewAccountDraft) {
  return {
    displayName: draft.displayName.trim(),
    legalName: draft.legalName.trim(),
    industry: draft.industry.trim(),
    region: draft.region.trim(),
    industryCode: draft.industryCode,
    regionCode: draft.regionCode,
    lifecycle: draft.lifecycle,
  };
}

/**
 * The server's violations for one field of a form: it names fields by their request path
 * (`account.display_name`), the form by the message field (`display_name`).
 */
export function violationsOf(
  fields: readonly { field: string; description: string }[],
  field: string,
): string[] {
  return fields
    .filter((violation) => violation.field === field || violation.field.endsWith(`.${field}`))
    .map((violation) => violation.description);
}

// ---------------------------------------------------------------------------------------------------
// Reading a report to its end
// ---------------------------------------------------------------------------------------------------

/** One page of a listing: its items and the token of the next page ("" on the last). */
export interface PageOf<T> {
  items: T[];
  next: string;
}

/**
 * Reads a paged listing page by page (each call after the previous one, so the server sees one at a
 * time) until its end or `maxPages`, calling `onPage` with everything read so far. `complete` says
 * whether the end was reached; a larger portfolio than `maxPages` pages leaves the rest unknown
 * rather than loading without bound.
 */
export async function collectPages<T>(
  fetchPage: (pageToken: string) => Promise<PageOf<T>>,
  maxPages: number,
  onPage?: (items: readonly T[]) => void,
): Promise<{ items: T[]; complete: boolean }> {
  const items: T[] = [];
  let token = "";
  for (let page = 0; page < maxPages; page += 1) {
    const { items: pageItems, next } = await fetchPage(token);
    items.push(...pageItems);
    onPage?.(items);
    if (next === "") return { items, complete: true };
    token = next;
  }
  return { items, complete: false };
}
