import { create, type MessageInitShape } from "@bufbuild/protobuf";
import {
  Code,
  ForecastCategory,
  MoneySchema,
  OpportunitySchema,
  PipelineSchema,
  QualificationSchema,
  Tier,
  type KamError,
  type Opportunity,
} from "@kam/client";
import { describe, expect, it } from "vitest";
import {
  barLength,
  boardReducer,
  canMove,
  compareMoney,
  emptyBoard,
  emptyCardFilterForm,
  filterCards,
  groupIntoColumns,
  isQualified,
  nextActiveOption,
  noClientFilter,
  openStages,
  percentText,
  periodRange,
  readCardFilter,
  stageNeedsQualification,
  type AccountFacts,
  type BoardState,
} from "../src/views/funnel/model";
import { AccountNames, factsOf, idsToLookUp, taskQueue, type AccountLookup } from "../src/views/funnel/accountNames";

const pipeline = create(PipelineSchema, {
  id: "p1",
  displayName: "Default",
  qualificationStageKey: "QUALIFIED",
  stages: [
    { key: "LEAD", displayName: "Lead", probability: 10 },
    { key: "CONTACTED", displayName: "Contacted", probability: 20 },
    { key: "QUALIFIED", displayName: "Qualified", probability: 40 },
    { key: "PROPOSAL", displayName: "Proposal", probability: 60 },
    { key: "WON", displayName: "Won", probability: 100, closedWon: true },
    { key: "LOST", displayName: "Lost", probability: 0, closedLost: true },
  ],
});

function money(currencyCode: string, units: bigint, nanos = 0) {
  return create(MoneySchema, { currencyCode, units, nanos });
}

function opportunity(id: string, stage: string, init: MessageInitShape<typeof OpportunitySchema> = {}): Opportunity {
  return create(OpportunitySchema, { id, stage, accountId: "a1", displayName: id, etag: `${id}-1`, ...init });
}

const manRefusal: KamError = {
  code: Code.FailedPrecondition,
  message: "the opportunity is not MAN qualified",
  reason: "FAILED_PRECONDITION",
  metadata: {},
  fields: [],
  rules: [{ rule: "MAN_REQUIRED", subject: "opportunities/o1", description: "budget, authority and need must be confirmed" }],
  retryAfterMs: undefined,
};

function loaded(...opportunities: Opportunity[]): BoardState {
  return boardReducer(emptyBoard, { type: "loaded", opportunities });
}

function cardOf(state: BoardState, id: string) {
  const card = state.cards.find((candidate) => candidate.opportunity.id === id);
  if (!card) throw new Error(`no card ${id}`);
  return card;
}

describe("stages", () => {
  it("shows the open stages as columns, in order", () => {
    expect(openStages(pipeline).map((stage) => stage.key)).toEqual(["LEAD", "CONTACTED", "QUALIFIED", "PROPOSAL"]);
  });

  it("gates the qualification stage, every later stage and the won stage, not the lost one", () => {
    const gated = pipeline.stages.filter((stage) => stageNeedsQualification(pipeline, stage.key)).map((stage) => stage.key);
    expect(gated).toEqual(["QUALIFIED", "PROPOSAL", "WON"]);
    expect(stageNeedsQualification({ ...pipeline, qualificationStageKey: "" }, "PROPOSAL")).toBe(false);
  });

  it("is qualified only with all three MAN flags", () => {
    expect(isQualified(undefined)).toBe(false);
    expect(isQualified(create(QualificationSchema, { budgetConfirmed: true, authorityConfirmed: true }))).toBe(false);
    expect(
      isQualified(create(QualificationSchema, { budgetConfirmed: true, authorityConfirmed: true, needConfirmed: true })),
    ).toBe(true);
  });
});

describe("grouping into columns", () => {
  it("puts each card in its stage's column and keeps the list order", () => {
    const state = loaded(opportunity("o1", "LEAD"), opportunity("o2", "PROPOSAL"), opportunity("o3", "LEAD"));
    const columns = groupIntoColumns(pipeline, state.cards);
    expect(columns.map((column) => [column.stage.key, column.cards.map((card) => card.opportunity.id)])).toEqual([
      ["LEAD", ["o1", "o3"]],
      ["CONTACTED", []],
      ["QUALIFIED", []],
      ["PROPOSAL", ["o2"]],
    ]);
    expect(columns.map((column) => column.gated)).toEqual([false, false, true, true]);
  });

  it("leaves out cards in a stage the board does not show", () => {
    const columns = groupIntoColumns(pipeline, loaded(opportunity("o1", "WON"), opportunity("o2", "GONE")).cards);
    expect(columns.flatMap((column) => column.cards)).toEqual([]);
  });

  it("adds a further page without repeating a card", () => {
    const state = boardReducer(loaded(opportunity("o1", "LEAD")), {
      type: "appended",
      opportunities: [opportunity("o1", "LEAD"), opportunity("o2", "LEAD")],
    });
    expect(state.cards.map((card) => card.opportunity.id)).toEqual(["o1", "o2"]);
  });
});

describe("moving a card", () => {
  it("moves at once and waits for the server", () => {
    const state = boardReducer(loaded(opportunity("o1", "LEAD")), { type: "move_started", id: "o1", stage: "QUALIFIED" });
    const card = cardOf(state, "o1");
    expect(card.column).toBe("QUALIFIED");
    expect(card.pending).toBe(true);
    expect(card.opportunity.stage).toBe("LEAD");
    expect(groupIntoColumns(pipeline, state.cards).find((column) => column.stage.key === "QUALIFIED")?.cards).toHaveLength(1);
  });

  it("takes the server's answer on success", () => {
    let state = boardReducer(loaded(opportunity("o1", "LEAD")), { type: "move_started", id: "o1", stage: "CONTACTED" });
    state = boardReducer(state, { type: "write_succeeded", opportunity: opportunity("o1", "CONTACTED", { etag: "o1-2" }) });
    const card = cardOf(state, "o1");
    expect(card).toMatchObject({ column: "CONTACTED", pending: false, error: undefined });
    expect(card.opportunity.etag).toBe("o1-2");
  });

  it("rolls back on a refusal and attaches the server's message and rule to that card only", () => {
    let state = loaded(opportunity("o1", "LEAD"), opportunity("o2", "LEAD"));
    state = boardReducer(state, { type: "move_started", id: "o1", stage: "QUALIFIED" });
    state = boardReducer(state, { type: "write_refused", id: "o1", error: manRefusal });
    const refused = cardOf(state, "o1");
    expect(refused.column).toBe("LEAD");
    expect(refused.pending).toBe(false);
    expect(refused.error?.message).toBe("the opportunity is not MAN qualified");
    expect(refused.error?.rules[0]?.rule).toBe("MAN_REQUIRED");
    expect(cardOf(state, "o2").error).toBeUndefined();
    const lead = groupIntoColumns(pipeline, state.cards).find((column) => column.stage.key === "LEAD");
    expect(lead?.cards.map((card) => card.opportunity.id)).toEqual(["o1", "o2"]);
  });

  it("clears the refusal on the next attempt or when dismissed", () => {
    let state = boardReducer(loaded(opportunity("o1", "LEAD")), { type: "write_refused", id: "o1", error: manRefusal });
    expect(boardReducer(state, { type: "error_dismissed", id: "o1" }).cards[0]?.error).toBeUndefined();
    state = boardReducer(state, { type: "move_started", id: "o1", stage: "CONTACTED" });
    expect(cardOf(state, "o1").error).toBeUndefined();
  });

  it("keeps a qualifying card where it is while it waits", () => {
    const state = boardReducer(loaded(opportunity("o1", "LEAD")), { type: "write_started", id: "o1" });
    expect(cardOf(state, "o1")).toMatchObject({ column: "LEAD", pending: true });
  });

  it("sends nothing to the same stage or while a write is in flight", () => {
    const state = loaded(opportunity("o1", "LEAD"));
    expect(canMove(cardOf(state, "o1"), "LEAD")).toBe(false);
    expect(canMove(cardOf(state, "o1"), "CONTACTED")).toBe(true);
    const pending = boardReducer(state, { type: "move_started", id: "o1", stage: "CONTACTED" });
    expect(canMove(cardOf(pending, "o1"), "QUALIFIED")).toBe(false);
  });

  it("ignores events about a card not on the board", () => {
    const state = loaded(opportunity("o1", "LEAD"));
    expect(boardReducer(state, { type: "write_refused", id: "nope", error: manRefusal })).toBe(state);
  });
});

describe("filters", () => {
  const accounts = new Map<string, AccountFacts>([
    ["a1", { tier: Tier.STRATEGIC, region: "East China" }],
    ["a2", { tier: Tier.GROWTH, region: "North" }],
  ]);
  const cards = loaded(
    opportunity("o1", "LEAD", { accountId: "a1", amount: money("CNY", 1000n), forecastCategory: ForecastCategory.PIPELINE }),
    opportunity("o2", "LEAD", { accountId: "a2", amount: money("CNY", 5000n, 500_000_000), forecastCategory: ForecastCategory.COMMIT }),
    opportunity("o3", "LEAD", { accountId: "a2", amount: money("EUR", 3000n), forecastCategory: ForecastCategory.COMMIT }),
    opportunity("o4", "LEAD", { accountId: "unknown" }),
  ).cards;
  const ids = (filter: typeof noClientFilter) => filterCards(cards, filter, accounts).map((card) => card.opportunity.id);

  it("shows every card without a filter", () => {
    expect(ids(noClientFilter)).toEqual(["o1", "o2", "o3", "o4"]);
  });

  it("narrows by the account's tier and region (case-insensitive), leaving out unknown accounts", () => {
    expect(ids({ ...noClientFilter, tier: Tier.GROWTH })).toEqual(["o2", "o3"]);
    expect(ids({ ...noClientFilter, region: "east china" })).toEqual(["o1"]);
  });

  it("narrows by forecast category", () => {
    expect(ids({ ...noClientFilter, forecastCategory: ForecastCategory.COMMIT })).toEqual(["o2", "o3"]);
  });

  it("narrows by an exact amount range in one currency, bounds included", () => {
    const read = readCardFilter({ ...emptyCardFilterForm, currency: "CNY", min: "1,000", max: "5000.5" }, undefined);
    expect(read.minError).toBeUndefined();
    expect(ids(read.filter)).toEqual(["o1", "o2"]);
    const above = readCardFilter({ ...emptyCardFilterForm, currency: "CNY", min: "5000.500000001" }, undefined);
    expect(ids(above.filter)).toEqual([]);
  });

  it("reports an unreadable bound or a missing currency and then ignores the bounds", () => {
    const malformed = readCardFilter({ ...emptyCardFilterForm, currency: "CNY", min: "abc" }, undefined);
    expect(malformed.minError).toBe("malformed");
    expect(ids(malformed.filter)).toEqual(["o1", "o2", "o3", "o4"]);
    const noCurrency = readCardFilter({ ...emptyCardFilterForm, max: "10" }, undefined);
    expect(noCurrency.currencyMissing).toBe(true);
    expect(ids(noCurrency.filter)).toEqual(["o1", "o2", "o3", "o4"]);
  });

  it("reads the category and passes the tier through", () => {
    const read = readCardFilter({ ...emptyCardFilterForm, forecastCategory: String(ForecastCategory.BEST_CASE) }, Tier.KEY);
    expect(read.filter.forecastCategory).toBe(ForecastCategory.BEST_CASE);
    expect(read.filter.tier).toBe(Tier.KEY);
  });
});

describe("chart arithmetic", () => {
  it("compares money exactly, beyond float precision", () => {
    expect(compareMoney(money("CNY", 900719925474099n, 1), money("CNY", 900719925474099n, 2))).toBe(-1);
    expect(compareMoney(money("CNY", 1n), money("CNY", 1n))).toBe(0);
  });

  it("scales bars and never draws a negative or overlong one", () => {
    expect(barLength(5, 10, 300)).toBe(150);
    expect(barLength(0, 0, 300)).toBe(0);
    expect(barLength(-1, 10, 300)).toBe(0);
    expect(barLength(20, 10, 300)).toBe(300);
  });

  it("formats shares as percentages", () => {
    expect(percentText(0.4567)).toBe("45.7");
    expect(percentText(0)).toBe("0.0");
  });

  it("turns a period of days into a half-open range in the local zone", () => {
    const { start, end } = periodRange("2026-03-01", "2026-03-31");
    expect(start).toEqual(new Date(2026, 2, 1));
    expect(end).toEqual(new Date(2026, 3, 1));
    expect(periodRange("", "")).toEqual({ start: undefined, end: undefined });
  });
});

describe("account names", () => {
  const facts: AccountFacts = { tier: Tier.KEY, region: "East China" };

  it("looks up only the ids not yet asked for, each once, in order", () => {
    const asked = new Map<string, AccountLookup>([["a1", { status: "loading" }]]);
    expect(idsToLookUp(["a2", "a1", "", "a3", "a2"], asked)).toEqual(["a2", "a3"]);
    expect(idsToLookUp([], asked)).toEqual([]);
  });

  it("keeps the facts of found accounts only", () => {
    const lookups = new Map<string, AccountLookup>([
      ["a1", { status: "found", name: "Acme", facts }],
      ["a2", { status: "loading" }],
      ["a3", { status: "refused" }],
    ]);
    expect([...factsOf(lookups)]).toEqual([["a1", facts]]);
  });

  it("runs at most `limit` tasks at a time and all of them in the end", async () => {
    const enqueue = taskQueue(3);
    let running = 0;
    let most = 0;
    let done = 0;
    const releases: (() => void)[] = [];
    for (let i = 0; i < 10; i++) {
      enqueue(async () => {
        running += 1;
        most = Math.max(most, running);
        await new Promise<void>((resolve) => releases.push(resolve));
        running -= 1;
        done += 1;
      });
    }
    expect(running).toBe(3);
    while (done < 10) {
      releases.shift()?.();
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    expect(most).toBe(3);
  });

  it("asks for each account once, across pages, and remembers refusals", async () => {
    const asked: string[] = [];
    const names = new AccountNames((id) => {
      asked.push(id);
      if (id === "gone") return Promise.reject(new Error("permission denied"));
      return Promise.resolve({ id, name: `Name of ${id}`, facts });
    }, 2);
    let changes = 0;
    names.subscribe(() => (changes += 1));
    names.request(["a1", "a2", "a1", "gone"]);
    expect(names.snapshot().get("a1")).toEqual({ status: "loading" });
    names.request(["a2", "a3"]); // the next page: only a3 is new
    await new Promise((resolve) => setTimeout(resolve, 0));
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(asked.sort()).toEqual(["a1", "a2", "a3", "gone"]);
    expect(names.snapshot().get("a1")).toEqual({ status: "found", name: "Name of a1", facts });
    expect(names.snapshot().get("gone")).toEqual({ status: "refused" });
    expect(changes).toBeGreaterThan(0);
    // A known snapshot stays the same object until something changes (useSyncExternalStore needs that).
    expect(names.snapshot()).toBe(names.snapshot());
    names.request(["a1", "gone"]);
    expect(asked).toHaveLength(4);
  });

  it("needs no lookup for an account remembered from a search", () => {
    const names = new AccountNames(() => Promise.reject(new Error("not expected")));
    names.remember([{ id: "a9", name: "Picked", facts }]);
    names.request(["a9"]);
    expect(names.snapshot().get("a9")).toEqual({ status: "found", name: "Picked", facts });
  });
});

describe("account picker keys", () => {
  it("moves down and up through the options, wrapping", () => {
    expect(nextActiveOption(-1, 3, 1)).toBe(0);
    expect(nextActiveOption(-1, 3, -1)).toBe(2);
    expect(nextActiveOption(0, 3, 1)).toBe(1);
    expect(nextActiveOption(2, 3, 1)).toBe(0);
    expect(nextActiveOption(0, 3, -1)).toBe(2);
    expect(nextActiveOption(5, 3, 1)).toBe(0);
    expect(nextActiveOption(0, 0, 1)).toBe(-1);
  });
});
