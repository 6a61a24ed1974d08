/** The visit brief page and the account's key dates, without a DOM: addresses, derivations, requests. */
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { AccountBriefSchema, AccountSchema, KeyDateKind, type AccountBrief } from "@kam/client";
import { describe, expect, test } from "vitest";
import { parseRoute, pathOf, type Route } from "../src/app/router";
import {
  emptyKeyDateDraft,
  keyDateDraftsOf,
  keyDateIndexOf,
  keyDatesOf,
  keyDatesUpdateRequest,
  labelRequired,
} from "../src/views/account/model";
import { messages } from "../src/views/brief/messages";
import {
  formatMonth,
  isOverdue,
  objectivePercent,
  orderSignals,
  parseHorizon,
  probabilityOf,
  readDay,
  signedPercent,
  staffNamesOf,
  truncatedLists,
} from "../src/views/brief/model";

const date = (year: number, month: number, day: number) => ({ year, month, day });

describe("addresses", () => {
  const routes: Route[] = [
    { page: "brief", id: "0196f3a2-7c1e-7000-8000-000000000001" },
    { page: "brief", id: "a/b c?#" },
    { page: "notifications" },
  ];
  test.each(routes)("$page $id round-trips through its address", (route) => {
    expect(parseRoute(pathOf(route))).toEqual(route);
  });
  test("the brief lives under its account", () => {
    expect(pathOf({ page: "brief", id: "a1" })).toBe("/accounts/a1/brief");
    expect(parseRoute("/accounts/a1/brief/")).toEqual({ page: "brief", id: "a1" });
    expect(parseRoute("/notifications")).toEqual({ page: "notifications" });
  });
  test.each(["/accounts/a1/brief/x", "/accounts/a1/other", "/notifications/x", "/brief/a1"])(
    "%s is not found",
    (path) => {
      expect(parseRoute(path)).toEqual({ page: "not_found", path });
    },
  );
  test("the horizon comes from the query, 30 days unless it is one offered", () => {
    expect(parseHorizon("?horizon=90")).toBe(90);
    expect(parseHorizon("?horizon=60&x=1")).toBe(60);
    expect(parseHorizon("")).toBe(30);
    expect(parseHorizon("?horizon=45")).toBe(30);
    expect(parseHorizon("?horizon=abc")).toBe(30);
  });
});

function brief(init: Parameters<typeof create<typeof AccountBriefSchema>>[1]): AccountBrief {
  return create(AccountBriefSchema, init);
}

describe("the brief's derivations", () => {
  test("people are named from the team first, then the directory, else by id", () => {
    const seated = brief({
      team: [
        { member: { staffId: "s1" }, fullName: "Wang Fang" },
        { member: { staffId: "s2" }, fullName: "" },
      ],
    });
    const names = staffNamesOf(seated, new Map([["s1", "Old Name"], ["s3", "Li Na"]]));
    expect(names.get("s1")).toBe("Wang Fang");
    expect(names.get("s3")).toBe("Li Na");
    expect(names.has("s2")).toBe(false);
  });

  test("an action is overdue when due before the day the brief was read (UTC)", () => {
    const read = brief({ readTime: timestampFromDate(new Date("2026-12-07T23:30:00Z")) });
    const day = readDay(read);
    expect(day).toBe("2026-12-07");
    expect(isOverdue({ dueDate: { $typeName: "kam.v1.Date", ...date(2026, 12, 6) } }, day)).toBe(true);
    expect(isOverdue({ dueDate: { $typeName: "kam.v1.Date", ...date(2026, 12, 7) } }, day)).toBe(false);
    expect(isOverdue({ dueDate: undefined }, day)).toBe(false);
    expect(isOverdue({ dueDate: { $typeName: "kam.v1.Date", ...date(2026, 1, 1) } }, readDay(brief({})))).toBe(false);
  });

  test("the probability that counts is the override", () => {
    expect(probabilityOf({ probability: 40, probabilityOverride: 35 })).toBe(35);
    expect(probabilityOf({ probability: 40, probabilityOverride: undefined })).toBe(40);
    expect(probabilityOf({ probability: 40, probabilityOverride: 0 })).toBe(0);
  });

  test("objective progress is exact and capped", () => {
    expect(objectivePercent(1n, 3n)).toBe(33);
    expect(objectivePercent(5n, 4n)).toBe(100);
    expect(objectivePercent(0n, 4n)).toBe(0);
    expect(objectivePercent(2n, 0n)).toBe(0);
    expect(objectivePercent(9_007_199_254_740_993n, 9_007_199_254_740_993n * 2n)).toBe(50);
  });

  test("triggered signals come first, heaviest first", () => {
    const health = brief({
      health: {
        signals: [
          { kind: 1, triggered: false, penalty: 0 },
          { kind: 2, triggered: true, penalty: 15 },
          { kind: 3, triggered: true, penalty: 25 },
        ],
      },
    }).health!;
    expect(orderSignals(health.signals).map((signal) => signal.kind)).toEqual([3, 2, 1]);
  });

  test("the lists cut short are named", () => {
    expect(truncatedLists(brief({ truncated: ["key_people"] })).has("key_people")).toBe(true);
    expect(truncatedLists(brief({})).size).toBe(0);
  });

  test("months and changes read in both languages", () => {
    expect(formatMonth({ year: 2026, month: 12 }, "en")).toBe("Dec 2026");
    expect(formatMonth({ year: 2026, month: 12 }, "zh-CN")).toBe("2026年12月");
    expect(formatMonth(undefined, "en")).toBe("");
    expect(signedPercent(20, "en")).toBe("+20 %");
    expect(signedPercent(-5, "en")).toBe("−5 %");
    expect(signedPercent(0, "zh-CN")).toBe("0%");
    expect(messages.en.title("Acme")).toBe("Visit brief: Acme");
    expect(messages["zh-CN"].title("Acme")).toBe("拜访简报：Acme");
  });
});

describe("the account's key dates", () => {
  const account = create(AccountSchema, {
    id: "a1",
    etag: "r3",
    keyDates: [
      { kind: KeyDateKind.CONTRACT_RENEWAL, label: "Framework", date: date(2027, 1, 31), oneTime: true },
      { kind: KeyDateKind.FOUNDING_ANNIVERSARY, date: date(0, 2, 29) },
    ],
  });

  test("drafts hold them as date inputs do, an unknown year kept apart", () => {
    const drafts = keyDateDraftsOf(account.keyDates);
    expect(drafts).toEqual([
      { kind: KeyDateKind.CONTRACT_RENEWAL, date: "2027-01-31", yearUnknown: false, label: "Framework", oneTime: true },
      { kind: KeyDateKind.FOUNDING_ANNIVERSARY, date: "2000-02-29", yearUnknown: true, label: "", oneTime: false },
    ]);
    // Unchanged drafts give back the same dates.
    expect(keyDatesOf(drafts).keyDates).toEqual([
      { kind: KeyDateKind.CONTRACT_RENEWAL, label: "Framework", date: date(2027, 1, 31), oneTime: true },
      { kind: KeyDateKind.FOUNDING_ANNIVERSARY, label: "", date: date(0, 2, 29), oneTime: false },
    ]);
  });

  test("a row without a date is named and nothing is sent; a one-time date keeps its year", () => {
    const { keyDates, missingDates } = keyDatesOf([
      emptyKeyDateDraft(),
      { kind: KeyDateKind.CUSTOMER_EVENT, date: "2026-11-05", yearUnknown: true, label: "  Trade fair ", oneTime: true },
    ]);
    expect(missingDates).toEqual([0]);
    expect(keyDates).toEqual([{ kind: KeyDateKind.CUSTOMER_EVENT, label: "Trade fair", date: date(2026, 11, 5), oneTime: true }]);
  });

  test("the update replaces the key dates under the etag read", () => {
    const request = keyDatesUpdateRequest(account, []);
    expect(request).toEqual({ account: { id: "a1", etag: "r3", keyDates: [] }, updateMask: { paths: ["key_dates"] }, changeReason: "" });
  });

  test("the server's field paths name the row, and which kinds need a label", () => {
    expect(keyDateIndexOf("account.key_dates[2].label")).toBe(2);
    expect(keyDateIndexOf("account.display_name")).toBeUndefined();
    expect(labelRequired(KeyDateKind.CUSTOMER_EVENT)).toBe(true);
    expect(labelRequired(KeyDateKind.OTHER)).toBe(true);
    expect(labelRequired(KeyDateKind.CONTRACT_RENEWAL)).toBe(false);
  });
});
