/**
 * What the tiers page derives from a ranking (RecomputeTiers): the Pareto curve, where the tiers by
 * revenue share end on it, and which accounts a ranking moves to another tier. Pure functions, so they
 * are tested without a browser.
 */
import { Tier } from "@kam/client";

/** The fields of a ranking row the page derives from (a TierRankingRow has them all). */
export interface RankedRow {
  rank: number;
  accountId: string;
  accountDisplayName: string;
  cumulativeSharePpm: bigint;
  oldTier: Tier;
  rankedTier: Tier;
  newTier: Tier;
}

/** A point of the Pareto curve: both coordinates are fractions 0..1. */
export interface ParetoPoint {
  /** Share of the accounts ranked so far (rank / number of accounts). */
  x: number;
  /** Share of the total revenue those accounts bring. */
  y: number;
}

const PPM = 1_000_000;

/** A share in parts per million as a fraction 0..1 (a share, not money: a float is fine). */
export function ppmFraction(ppm: bigint): number {
  return Number(ppm) / PPM;
}

/**
 * The curve from the origin through every ranked account. `accountCount` is every account ranked,
 * which may be more than the rows returned (a cut table): the curve then stops where the rows stop.
 */
export function paretoPoints(rows: readonly RankedRow[], accountCount: number): ParetoPoint[] {
  const total = Math.max(accountCount, rows.length);
  if (total === 0) return [];
  const points: ParetoPoint[] = [{ x: 0, y: 0 }];
  for (const row of [...rows].sort((a, b) => a.rank - b.rank)) {
    points.push({ x: row.rank / total, y: Math.min(1, ppmFraction(row.cumulativeSharePpm)) });
  }
  return points;
}

/** Where a tier given by revenue share ends on the curve. */
export interface ThresholdMark {
  tier: Tier;
  /** The last rank the share gives this tier. */
  rank: number;
  x: number;
  y: number;
}

/** The tiers the revenue share decides, in the order they are reached along the curve. */
const SHARE_TIERS = [Tier.STRATEGIC, Tier.KEY] as const;

/**
 * The end of each tier that revenue share decides (STRATEGIC, then KEY), taken from the ranking itself:
 * the last account that revenue alone (`ranked_tier`) puts in it. The server owns the percentages, so
 * they are read off the data rather than assumed. A tier no account reaches has no mark.
 */
export function thresholdMarks(rows: readonly RankedRow[], accountCount: number): ThresholdMark[] {
  const total = Math.max(accountCount, rows.length);
  const marks: ThresholdMark[] = [];
  for (const tier of SHARE_TIERS) {
    let last: RankedRow | undefined;
    for (const row of rows) {
      if (row.rankedTier === tier && (!last || row.rank > last.rank)) last = row;
    }
    if (last && total > 0) {
      marks.push({ tier, rank: last.rank, x: last.rank / total, y: ppmFraction(last.cumulativeSharePpm) });
    }
  }
  return marks;
}

/** Tiers from the most to the least important, for telling an upgrade from a downgrade. */
const TIER_ORDER: readonly Tier[] = [Tier.STRATEGIC, Tier.KEY, Tier.GROWTH, Tier.STANDARD];

function importance(tier: Tier): number {
  const index = TIER_ORDER.indexOf(tier);
  return index === -1 ? TIER_ORDER.length : index;
}

export type Direction = "up" | "down";

/** An account the ranking moves to another tier. */
export interface TierMove {
  accountId: string;
  accountDisplayName: string;
  rank: number;
  from: Tier;
  to: Tier;
  direction: Direction;
}

/** One kind of move and how many accounts make it, e.g. STANDARD → STRATEGIC: 2. */
export interface TransitionCount {
  from: Tier;
  to: Tier;
  count: number;
}

export interface TierDiff {
  moves: TierMove[];
  up: number;
  down: number;
  unchanged: number;
  /** Per kind of move, the most frequent first (ties in tier order). */
  transitions: TransitionCount[];
}

/** Whether the row's tier changes (the tier that applies, override included, against the stored one). */
export function changes(row: RankedRow): boolean {
  return row.oldTier !== row.newTier;
}

/** Current against proposed tiers: which accounts move, in rank order, and the totals. */
export function tierDiff(rows: readonly RankedRow[]): TierDiff {
  const moves: TierMove[] = [];
  const byTransition = new Map<string, TransitionCount>();
  let unchanged = 0;
  for (const row of [...rows].sort((a, b) => a.rank - b.rank)) {
    if (!changes(row)) {
      unchanged += 1;
      continue;
    }
    const direction: Direction = importance(row.newTier) < importance(row.oldTier) ? "up" : "down";
    moves.push({
      accountId: row.accountId,
      accountDisplayName: row.accountDisplayName,
      rank: row.rank,
      from: row.oldTier,
      to: row.newTier,
      direction,
    });
    const key = `${row.oldTier}>${row.newTier}`;
    const counted = byTransition.get(key) ?? { from: row.oldTier, to: row.newTier, count: 0 };
    counted.count += 1;
    byTransition.set(key, counted);
  }
  const transitions = [...byTransition.values()].sort(
    (a, b) =>
      b.count - a.count || importance(a.to) - importance(b.to) || importance(a.from) - importance(b.from),
  );
  return {
    moves,
    up: moves.filter((move) => move.direction === "up").length,
    down: moves.filter((move) => move.direction === "down").length,
    unchanged,
    transitions,
  };
}

/** The rows whose account name contains `query` (case-insensitive); all rows for an empty query. */
export function filterRows<T extends RankedRow>(rows: readonly T[], query: string, changedOnly: boolean): T[] {
  const needle = query.trim().toLocaleLowerCase();
  return rows.filter(
    (row) =>
      (!changedOnly || changes(row)) &&
      (needle === "" || row.accountDisplayName.toLocaleLowerCase().includes(needle)),
  );
}

/**
 * An override's expiry typed as a date (yyyy-mm-dd): the start of that day in the browser's zone, so
 * the override holds until the day begins. `undefined` for no date; "invalid" for text that is not one.
 */
export function expiryFromDateInput(text: string): Date | undefined | "invalid" {
  if (text.trim() === "") return undefined;
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text.trim());
  if (!match) return "invalid";
  const [, year, month, day] = match.map(Number) as [number, number, number, number];
  const date = new Date(year, month - 1, day);
  if (date.getFullYear() !== year || date.getMonth() !== month - 1 || date.getDate() !== day) return "invalid";
  return date;
}
