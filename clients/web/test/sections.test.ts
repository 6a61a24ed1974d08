/** The account sections' derivations: revenue series, SLA clocks, objective progress, the timeline. */
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  AccountPlan_Status,
  AccountPlanSchema,
  InteractionSchema,
  SlaTarget_State,
  SlaTargetSchema,
  type Money,
} from "@kam/client";
import { describe, expect, it } from "vitest";
import { decimalText } from "../src/format/money";
import {
  changePercent,
  compareRevenue,
  currentPlan,
  objectiveProgress,
  revenueRange,
  slaClock,
  timeline,
  worstBadge,
  type YearMonth,
} from "../src/views/account/sections/model";

const eur = (units: bigint, nanos = 0): Money => ({ $typeName: "kam.v1.Money", currencyCode: "EUR", units, nanos });
const month = (year: number, m: number, amount: Money) => ({ period: { $typeName: "kam.v1.Month" as const, year, month: m }, amount });

describe("revenue series", () => {
  it("asks for the current month (UTC) and the 23 before it", () => {
    expect(revenueRange(new Date("2026-12-06T20:00:00Z"))).toEqual({
      from: { year: 2025, month: 1 },
      to: { year: 2026, month: 12 },
    });
    // Just after midnight UTC on 1 March the current month is March, whatever the local zone says.
    expect(revenueRange(new Date("2026-03-01T00:30:00Z"))).toEqual({
      from: { year: 2024, month: 4 },
      to: { year: 2026, month: 3 },
    });
  });

  it("aligns each trailing month with the same month a year before, across a year boundary", () => {
    const to: YearMonth = { year: 2026, month: 2 };
    const months = [month(2025, 2, eur(7n)), month(2026, 2, eur(9n)), month(2025, 3, eur(1n)), month(2024, 3, eur(4n))];
    const comparison = compareRevenue(months, to, "EUR");
    expect(comparison.months).toHaveLength(12);
    expect(comparison.months[0]?.period).toEqual({ year: 2025, month: 3 });
    expect(comparison.months[0]?.previousPeriod).toEqual({ year: 2024, month: 3 });
    expect(decimalText(comparison.months[0]!.amount)).toBe("1");
    expect(decimalText(comparison.months[0]!.previousAmount)).toBe("4");
    expect(comparison.months[11]?.period).toEqual({ year: 2026, month: 2 });
    expect(decimalText(comparison.months[11]!.amount)).toBe("9");
    expect(decimalText(comparison.months[11]!.previousAmount)).toBe("7");
  });

  it("counts missing months as zero and sums exactly, nanos included", () => {
    const to: YearMonth = { year: 2026, month: 12 };
    // Only three months have records; 0.1 + 0.2 must be 0.3 exactly.
    const months = [
      month(2026, 12, eur(0n, 100_000_000)),
      month(2026, 6, eur(0n, 200_000_000)),
      month(2025, 12, eur(1_000_000_000_000n, 1)),
      month(2023, 1, eur(999n)), // outside the 24 months: ignored
    ];
    const comparison = compareRevenue(months, to, "EUR");
    const zeros = comparison.months.filter((m) => m.amount.units === 0n && m.amount.nanos === 0);
    expect(zeros).toHaveLength(10);
    expect(decimalText(comparison.total)).toBe("0.3");
    expect(decimalText(comparison.previousTotal)).toBe("1000000000000.000000001");
    expect(decimalText(comparison.change)).toBe("-999999999999.700000001");
    expect(comparison.currencyCode).toBe("EUR");
  });

  it("handles credit notes (negative months) and gives the change in percent exactly", () => {
    const to: YearMonth = { year: 2026, month: 12 };
    const trailing = Array.from({ length: 12 }, (_, i) => month(2026, i + 1, eur(10_000n, 250_000_000)));
    const previous = Array.from({ length: 12 }, (_, i) => month(2025, i + 1, eur(8_000n)));
    const comparison = compareRevenue([...previous, ...trailing, month(2026, 5, eur(-3n, -500_000_000))], to, "");
    expect(decimalText(comparison.total)).toBe("119999.5");
    expect(decimalText(comparison.previousTotal)).toBe("96000");
    expect(changePercent(comparison.total, comparison.previousTotal)).toBe(24.9);
    expect(changePercent(eur(5n), eur(0n))).toBeUndefined();
  });

  it("takes the currency from the answer, else the fallback", () => {
    expect(compareRevenue([], { year: 2026, month: 1 }, "CNY").currencyCode).toBe("CNY");
    expect(compareRevenue([], { year: 2026, month: 1 }, "CNY").total.currencyCode).toBe("CNY");
  });
});

describe("SLA clock", () => {
  const now = new Date("2026-12-06T12:00:00Z");
  const target = (state: SlaTarget_State, due: string, atRisk?: string, fulfilled?: string) =>
    create(SlaTargetSchema, {
      state,
      dueTime: timestampFromDate(new Date(due)),
      ...(atRisk ? { atRiskTime: timestampFromDate(new Date(atRisk)) } : {}),
      ...(fulfilled ? { fulfilledTime: timestampFromDate(new Date(fulfilled)) } : {}),
    });

  it("counts down the minutes left of a running target", () => {
    const clock = slaClock(target(SlaTarget_State.IN_PROGRESS, "2026-12-06T14:30:00Z", "2026-12-06T14:00:00Z"), now);
    expect(clock.badge).toBe("on_track");
    expect(clock.minutesLeft).toBe(150);
  });

  it("moves a running target on to at risk and breached as time passes", () => {
    const running = target(SlaTarget_State.IN_PROGRESS, "2026-12-06T12:30:00Z", "2026-12-06T11:50:00Z");
    expect(slaClock(running, now).badge).toBe("at_risk");
    const late = slaClock(running, new Date("2026-12-06T13:00:00Z"));
    expect(late.badge).toBe("breached");
    expect(late.minutesLeft).toBe(-30);
  });

  it("keeps settled states and shows no countdown for fulfilled targets", () => {
    expect(slaClock(target(SlaTarget_State.PAUSED, "2026-12-06T11:00:00Z"), now).badge).toBe("paused");
    const met = slaClock(target(SlaTarget_State.MET, "2026-12-06T11:00:00Z", undefined, "2026-12-06T10:00:00Z"), now);
    expect(met).toMatchObject({ badge: "met", minutesLeft: undefined });
    const lateDone = slaClock(target(SlaTarget_State.BREACHED, "2026-12-06T11:00:00Z", undefined, "2026-12-06T11:30:00Z"), now);
    expect(lateDone).toMatchObject({ badge: "breached", minutesLeft: undefined });
    const stillOpen = slaClock(target(SlaTarget_State.BREACHED, "2026-12-06T11:00:00Z"), now);
    expect(stillOpen.minutesLeft).toBe(-60);
    expect(slaClock(undefined, now).badge).toBe("none");
  });

  it("gives the request the worse of its two badges", () => {
    expect(worstBadge("met", "on_track")).toBe("on_track");
    expect(worstBadge("at_risk", "paused")).toBe("at_risk");
    expect(worstBadge("breached", "at_risk")).toBe("breached");
    expect(worstBadge("none", "cancelled")).toBe("none");
  });
});

describe("objective progress", () => {
  const now = new Date("2026-12-06T12:00:00Z");
  it("is current / target rounded down and capped at 100, as the scorecard computes it", () => {
    expect(objectiveProgress({ targetValue: 40n, currentValue: 10n }, now).percent).toBe(25);
    expect(objectiveProgress({ targetValue: 3n, currentValue: 2n }, now).percent).toBe(66);
    expect(objectiveProgress({ targetValue: 4n, currentValue: 9n }, now)).toMatchObject({ percent: 100, reached: true });
    expect(objectiveProgress({ targetValue: 10n, currentValue: -2n }, now).percent).toBe(0);
    expect(objectiveProgress({ targetValue: 0n, currentValue: 5n }, now).percent).toBe(0);
  });

  it("is overdue when not reached by its due date (UTC today), not on the day itself", () => {
    const due = (day: number) => ({ $typeName: "kam.v1.Date" as const, year: 2026, month: 12, day });
    expect(objectiveProgress({ targetValue: 10n, currentValue: 5n, dueDate: due(5) }, now).overdue).toBe(true);
    expect(objectiveProgress({ targetValue: 10n, currentValue: 5n, dueDate: due(6) }, now).overdue).toBe(false);
    expect(objectiveProgress({ targetValue: 10n, currentValue: 10n, dueDate: due(5) }, now).overdue).toBe(false);
  });

  it("shows the active plan, else the newest draft, else the last closed", () => {
    const plan = (id: string, status: AccountPlan_Status, created: string) =>
      create(AccountPlanSchema, { id, status, createTime: timestampFromDate(new Date(created)) });
    const closed = plan("c", AccountPlan_Status.CLOSED, "2026-01-01T00:00:00Z");
    const oldDraft = plan("d1", AccountPlan_Status.DRAFT, "2026-02-01T00:00:00Z");
    const newDraft = plan("d2", AccountPlan_Status.DRAFT, "2026-03-01T00:00:00Z");
    const active = plan("a", AccountPlan_Status.ACTIVE, "2025-01-01T00:00:00Z");
    expect(currentPlan([closed, oldDraft, newDraft, active])?.id).toBe("a");
    expect(currentPlan([closed, oldDraft, newDraft])?.id).toBe("d2");
    expect(currentPlan([closed])?.id).toBe("c");
    expect(currentPlan([])).toBeUndefined();
  });
});

describe("timeline", () => {
  const entry = (id: string, occurred: string, summary = id) =>
    create(InteractionSchema, { id, summary, occurTime: timestampFromDate(new Date(occurred)) });

  it("orders newest first by when it took place, ties by id (later logged first)", () => {
    const ordered = timeline([
      entry("01a", "2026-12-01T09:00:00Z"),
      entry("01c", "2026-12-03T09:00:00Z"),
      entry("01b", "2026-12-03T09:00:00Z"),
      entry("019", "2026-11-20T09:00:00Z"),
    ]);
    expect(ordered.map((interaction) => interaction.id)).toEqual(["01c", "01b", "01a", "019"]);
  });

  it("merges pages and entries logged here, each once, putting a back-dated entry in its place", () => {
    const firstPage = [entry("05", "2026-12-05T09:00:00Z"), entry("04", "2026-12-04T09:00:00Z")];
    const olderPage = [entry("04", "2026-12-04T09:00:00Z"), entry("02", "2026-12-02T09:00:00Z")];
    const logged = [entry("09", "2026-12-03T15:00:00Z", "logged now, happened on the 3rd")];
    const merged = timeline(firstPage, olderPage, logged);
    expect(merged.map((interaction) => interaction.id)).toEqual(["05", "04", "09", "02"]);
  });
});
