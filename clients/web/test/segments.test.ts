/** Segments, the group page, the funnel's segment breakdown and the competitor pages, without a DOM. */
import { create } from "@bufbuild/protobuf";
import {
  CompetitorSchema,
  CurrencyAmountSchema,
  SegmentFunnelSchema,
  SegmentForecastSchema,
  StageSummarySchema,
  type Money,
} from "@kam/client";
import { describe, expect, test } from "vitest";
import { parseRoute, pathOf, type Route } from "../src/app/router";
import { amountsText, changePercent } from "../src/format/money";
import { maxDepth, nameOfCode, segmentName, treeOrder, type Segment } from "../src/segments/model";
import { segmentKeyText } from "../src/segments/SegmentLabel";
import { aliasesOf, competitorUpdate, defaultPeriod, periodOf, rateText, reportRequest } from "../src/views/competitors/model";
import { segmentRows } from "../src/views/funnel/model";
import { childCounts, memberOfSignal, orderGroupSignals } from "../src/views/group/model";

const money = (currencyCode: string, units: bigint, nanos = 0): Money => ({ $typeName: "kam.v1.Money", currencyCode, units, nanos });
const segment = (code: string, parentCode = "", depth = 1, nameZh = ""): Segment => ({ code, parentCode, name: `Name ${code}`, nameZh, depth });

describe("addresses", () => {
  const routes: Route[] = [{ page: "group", id: "0196f3a2-7c1e-7000-8000-000000000001" }, { page: "group", id: "a/b c" }, { page: "competitors" }];
  test.each(routes)("$page round-trips through its address", (route) => {
    expect(parseRoute(pathOf(route))).toEqual(route);
  });
  test("the group lives under its account", () => {
    expect(pathOf({ page: "group", id: "x" })).toBe("/accounts/x/group");
    expect(parseRoute("/competitors/x")).toEqual({ page: "not_found", path: "/competitors/x" });
  });
});

describe("segment trees", () => {
  test("children follow their parent, each level by code; orphans and cycles still appear once", () => {
    const placed = treeOrder([
      segment("C", "", 1),
      segment("A", "", 1),
      segment("C2", "C", 2),
      segment("C1", "C", 2),
      segment("C11", "C1", 3),
      segment("X", "GONE", 2),
      segment("P", "Q", 2),
      segment("Q", "P", 2),
    ]);
    expect(placed.map((p) => `${p.segment.code}:${p.level}`)).toEqual(["A:0", "C:0", "C1:1", "C11:2", "C2:1", "X:0", "P:0", "Q:1"]);
  });
  test("names follow the locale, a code unknown shows as itself", () => {
    expect(segmentName(segment("C", "", 1, "制造业"), "zh-CN")).toBe("制造业");
    expect(segmentName(segment("C", "", 1, ""), "zh-CN")).toBe("Name C");
    expect(segmentName(segment("C", "", 1, "制造业"), "en")).toBe("Name C");
    expect(nameOfCode([segment("C")], "Z", "en")).toBe("Z");
    expect(maxDepth([segment("A", "", 1), segment("B", "A", 3)])).toBe(3);
  });
  test("a report's segment: its name, or the unclassified accounts' own words", () => {
    const t = { unclassified: "Not classified", unclassifiedAs: (text: string) => `Not classified: ${text}` };
    expect(segmentKeyText({ code: "", name: "" }, [], "en", t)).toBe("Not classified");
    expect(segmentKeyText({ code: "", name: "Steel" }, [], "en", t)).toBe("Not classified: Steel");
    expect(segmentKeyText({ code: "C", name: "Manufacturing" }, [segment("C", "", 1, "制造业")], "zh-CN", t)).toBe("制造业");
    expect(segmentKeyText({ code: "Z", name: "Zed" }, [], "en", t)).toBe("Zed");
  });
});

describe("money", () => {
  test("the change against the year before is exact and rounded half away from zero", () => {
    expect(changePercent(money("EUR", 1200n, 500_000_000), money("EUR", 1000n, 400_000_000))).toBe(20);
    expect(changePercent(money("EUR", 0n), money("EUR", 1000n))).toBe(-100);
    expect(changePercent(money("EUR", 1005n), money("EUR", 1000n))).toBe(1);
    expect(changePercent(money("EUR", 995n), money("EUR", 1000n))).toBe(-1);
    expect(changePercent(money("EUR", 10n), money("EUR", 0n))).toBeUndefined();
    expect(changePercent(money("EUR", 10n), money("USD", 5n))).toBeUndefined();
  });
  test("per-currency sums as text", () => {
    expect(amountsText([], "en", "—")).toBe("—");
    expect(amountsText([{ amount: money("EUR", 1000n, 500_000_000) }, { amount: money("USD", 2n) }], "en", "—")).toBe("€1,000.50 · $2.00");
  });
});

describe("the group", () => {
  const members = [
    { accountId: "top", displayName: "Top", parentAccountId: "" },
    { accountId: "sub", displayName: "Sub", parentAccountId: "top" },
    { accountId: "subsub", displayName: "Subsub", parentAccountId: "sub" },
    { accountId: "sub2", displayName: "Sub 2", parentAccountId: "top" },
  ];
  test("a signal names the member among its related ids", () => {
    expect(memberOfSignal({ relatedIds: ["opp-1", "sub"] }, members)?.displayName).toBe("Sub");
    expect(memberOfSignal({ relatedIds: ["opp-1"] }, members)).toBeUndefined();
  });
  test("subsidiaries are counted per parent; triggered signals first", () => {
    expect(Object.fromEntries(childCounts(members))).toEqual({ top: 2, sub: 1 });
    const ordered = orderGroupSignals([
      { kind: 1, triggered: false, penalty: 0 },
      { kind: 2, triggered: true, penalty: 10 },
      { kind: 3, triggered: true, penalty: 20 },
    ]);
    expect(ordered.map((s) => s.kind)).toEqual([3, 2, 1]);
  });
});

describe("the funnel by segment", () => {
  test("joins the summary's and the forecast's segments, summing stage amounts exactly", () => {
    const key = (code: string, name: string) => ({ $typeName: "kam.v1.SegmentKey" as const, code, name });
    const amount = (currencyCode: string, units: bigint, nanos = 0) =>
      create(CurrencyAmountSchema, { currencyCode, amount: money(currencyCode, units, nanos), count: 1n });
    const rows = segmentRows(
      [
        create(SegmentFunnelSchema, {
          segment: key("C", "Manufacturing"),
          stages: [
            create(StageSummarySchema, { stage: "a", count: 2n, amounts: [amount("EUR", 100n, 600_000_000)] }),
            create(StageSummarySchema, { stage: "b", count: 1n, amounts: [amount("EUR", 0n, 400_000_000), amount("CNY", 5n)] }),
          ],
        }),
      ],
      [
        create(SegmentForecastSchema, { segment: key("C", "Manufacturing"), weightedPipeline: [amount("EUR", 50n)] }),
        create(SegmentForecastSchema, { segment: key("", "Steel"), closedWon: [amount("EUR", 7n)] }),
      ],
    );
    expect(rows.map((row) => [row.key?.code, row.count, row.amounts.map((a) => `${a.currencyCode} ${a.amount.units}.${a.amount.nanos}`)])).toEqual([
      ["C", 3n, ["CNY 5.0", "EUR 101.0"]],
      ["", 0n, []],
    ]);
    expect(rows[0]!.weightedPipeline[0]!.amount?.units).toBe(50n);
    expect(rows[1]!.closedWon[0]!.amount?.units).toBe(7n);
  });
});

describe("competitors", () => {
  test("the default period is the twelve months up to today; a reversed period asks nothing", () => {
    expect(defaultPeriod(new Date(2026, 11, 7))).toEqual({ since: "2025-12-08", until: "2026-12-07" });
    const period = periodOf("2026-01-01", "2026-01-31")!;
    expect(period.start).toEqual(new Date(2026, 0, 1));
    expect(period.end).toEqual(new Date(2026, 1, 1));
    expect(periodOf("2026-02-01", "2026-01-31")).toBeUndefined();
    const inputs = { since: "2026-01-01", until: "2026-01-31", industryCode: "C", regionCode: "", competitorId: "", rollupDepth: 1 };
    expect(reportRequest(inputs)?.segments).toEqual({ industryCode: "C", regionCode: "" });
    expect(reportRequest({ ...inputs, until: "" })).toBeUndefined();
    expect(rateText(2 / 3)).toBe("66.7");
  });
  test("aliases one a line or comma; an edit sends only what changed", () => {
    expect(aliasesOf(" Acme \nACME, Acme Corp\n\n")).toEqual(["Acme", "Acme Corp"]);
    const stored = create(CompetitorSchema, { id: "c1", etag: "e1", name: "Rival", aliases: ["R"], homeRegionCodes: ["B", "A"] });
    const update = competitorUpdate(stored, {
      name: "Rival ",
      aliases: "R\nRival Group",
      website: "",
      strengths: "",
      weaknesses: "Slow",
      homeRegionCodes: ["A", "B"],
    });
    expect(update.updateMask.paths).toEqual(["aliases", "weaknesses"]);
    expect(update.competitor).toMatchObject({ id: "c1", etag: "e1", name: "Rival", aliases: ["R", "Rival Group"] });
  });
});
