import { Tier } from "@kam/client";
import { describe, expect, it } from "vitest";
import {
  expiryFromDateInput,
  filterRows,
  paretoPoints,
  ppmFraction,
  thresholdMarks,
  tierDiff,
  type RankedRow,
} from "../src/views/tiers/model";

function row(rank: number, cumulativePercent: number, oldTier: Tier, rankedTier: Tier, newTier = rankedTier): RankedRow {
  return {
    rank,
    accountId: `acc-${rank}`,
    accountDisplayName: `Account ${rank}`,
    cumulativeSharePpm: BigInt(Math.round(cumulativePercent * 10_000)),
    oldTier,
    rankedTier,
    newTier,
  };
}

// Five accounts: the first brings 60 % (strategic), the second takes it to 80 % (key), the rest follow.
const ranking: RankedRow[] = [
  row(1, 60, Tier.STANDARD, Tier.STRATEGIC),
  row(2, 80, Tier.KEY, Tier.KEY),
  row(3, 90, Tier.STRATEGIC, Tier.GROWTH),
  row(4, 97, Tier.STANDARD, Tier.STANDARD),
  row(5, 100, Tier.GROWTH, Tier.STANDARD, Tier.STRATEGIC), // an override holds
];

describe("Pareto points", () => {
  it("start at the origin and follow the cumulative share, rank over account count", () => {
    const points = paretoPoints(ranking, 5);
    expect(points).toHaveLength(6);
    expect(points[0]).toEqual({ x: 0, y: 0 });
    expect(points[1]).toEqual({ x: 0.2, y: 0.6 });
    expect(points[2]).toEqual({ x: 0.4, y: 0.8 });
    expect(points[5]).toEqual({ x: 1, y: 1 });
  });

  it("are in rank order whatever the rows' order", () => {
    const shuffled = [ranking[3]!, ranking[0]!, ranking[4]!, ranking[2]!, ranking[1]!];
    expect(paretoPoints(shuffled, 5)).toEqual(paretoPoints(ranking, 5));
  });

  it("stop where a cut table stops, against every account ranked", () => {
    const points = paretoPoints(ranking.slice(0, 2), 10);
    expect(points.at(-1)).toEqual({ x: 0.2, y: 0.8 });
  });

  it("are empty without accounts", () => {
    expect(paretoPoints([], 0)).toEqual([]);
  });

  it("never rise above 100 %", () => {
    expect(paretoPoints([row(1, 100.5, Tier.STANDARD, Tier.STRATEGIC)], 1)[1]!.y).toBe(1);
  });

  it("read ppm as a fraction", () => {
    expect(ppmFraction(500_000n)).toBe(0.5);
    expect(ppmFraction(1_000_000n)).toBe(1);
  });
});

describe("threshold marks", () => {
  it("mark where the strategic and key tiers end, by the tier revenue alone gives", () => {
    expect(thresholdMarks(ranking, 5)).toEqual([
      { tier: Tier.STRATEGIC, rank: 1, x: 0.2, y: 0.6 },
      { tier: Tier.KEY, rank: 2, x: 0.4, y: 0.8 },
    ]);
  });

  it("ignore an override to STRATEGIC further down (ranked_tier, not new_tier)", () => {
    const marks = thresholdMarks(ranking, 5);
    expect(marks.find((m) => m.tier === Tier.STRATEGIC)?.rank).toBe(1);
  });

  it("take the last account of a tier holding several", () => {
    const rows = [row(1, 30, Tier.STANDARD, Tier.STRATEGIC), row(2, 49, Tier.STANDARD, Tier.STRATEGIC), row(3, 70, Tier.STANDARD, Tier.KEY), row(4, 100, Tier.STANDARD, Tier.STANDARD)];
    expect(thresholdMarks(rows, 4).map((m) => [m.tier, m.rank])).toEqual([
      [Tier.STRATEGIC, 2],
      [Tier.KEY, 3],
    ]);
  });

  it("leave out a tier no account reaches", () => {
    expect(thresholdMarks([row(1, 100, Tier.STANDARD, Tier.STRATEGIC)], 1).map((m) => m.tier)).toEqual([Tier.STRATEGIC]);
    expect(thresholdMarks([], 0)).toEqual([]);
  });
});

describe("tier diff", () => {
  const diff = tierDiff(ranking);

  it("lists the accounts whose tier changes, in rank order, with the direction", () => {
    expect(diff.moves.map((m) => [m.accountId, m.from, m.to, m.direction])).toEqual([
      ["acc-1", Tier.STANDARD, Tier.STRATEGIC, "up"],
      ["acc-3", Tier.STRATEGIC, Tier.GROWTH, "down"],
      ["acc-5", Tier.GROWTH, Tier.STRATEGIC, "up"],
    ]);
  });

  it("compares the current tier with the one that will apply (overrides included)", () => {
    expect(diff.moves.some((m) => m.accountId === "acc-5" && m.to === Tier.STRATEGIC)).toBe(true);
  });

  it("counts ups, downs and unchanged", () => {
    expect([diff.up, diff.down, diff.unchanged]).toEqual([2, 1, 2]);
  });

  it("counts each kind of move, the most frequent first", () => {
    const rows = [
      row(1, 40, Tier.STANDARD, Tier.KEY),
      row(2, 60, Tier.STANDARD, Tier.KEY),
      row(3, 80, Tier.KEY, Tier.STANDARD),
    ];
    expect(tierDiff(rows).transitions).toEqual([
      { from: Tier.STANDARD, to: Tier.KEY, count: 2 },
      { from: Tier.KEY, to: Tier.STANDARD, count: 1 },
    ]);
  });

  it("is empty when nothing changes", () => {
    const still = tierDiff([row(1, 100, Tier.STRATEGIC, Tier.STRATEGIC)]);
    expect(still.moves).toEqual([]);
    expect(still.unchanged).toBe(1);
  });
});

describe("filtering the table", () => {
  it("finds by name, case-insensitively, and keeps only changes on request", () => {
    expect(filterRows(ranking, "account 2", false).map((r) => r.rank)).toEqual([2]);
    expect(filterRows(ranking, "", true).map((r) => r.rank)).toEqual([1, 3, 5]);
    expect(filterRows(ranking, "ACCOUNT", true).map((r) => r.rank)).toEqual([1, 3, 5]);
    expect(filterRows(ranking, "  ", false)).toHaveLength(5);
  });
});

describe("override expiry", () => {
  it("is the start of the day in the browser's zone", () => {
    const expiry = expiryFromDateInput("2030-02-28");
    expect(expiry).toBeInstanceOf(Date);
    const date = expiry as Date;
    expect([date.getFullYear(), date.getMonth(), date.getDate(), date.getHours()]).toEqual([2030, 1, 28, 0]);
  });

  it("is absent for an empty field and invalid for a date that does not exist", () => {
    expect(expiryFromDateInput("")).toBeUndefined();
    expect(expiryFromDateInput("2030-02-30")).toBe("invalid");
    expect(expiryFromDateInput("next week")).toBe("invalid");
  });
});
