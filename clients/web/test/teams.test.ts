import { describe, expect, it } from "vitest";
import {
  aggregateWorkload,
  busiest,
  canApply,
  canGoBack,
  canGoForward,
  canPreview,
  currentPreview,
  groupMoves,
  initialWizard,
  sortAreas,
  wizardReducer,
  type HandoverAnswer,
  type HandoverInput,
  type WizardEvent,
  type WizardState,
} from "../src/views/teams/model";

const input: HandoverInput = { fromStaffId: "li", toStaffId: "wang", reason: "Li Lei leaves the company" };

const moves: HandoverAnswer = {
  moved: [
    { area: "opportunities", accountId: "a1", itemId: "o1", description: "Pump retrofit", newItemId: "" },
    { area: "team_roles", accountId: "a1", itemId: "m1", description: "ACCOUNT_MANAGER", newItemId: "" },
    { area: "team_roles", accountId: "a2", itemId: "m2", description: "SERVICE_LEAD", newItemId: "" },
  ],
  ruleBreaks: [],
};
const breaks: HandoverAnswer = {
  moved: moves.moved,
  ruleBreaks: [{ rule: "CAPACITY_EXCEEDED", accountId: "a2", description: "Wang would serve 26 accounts" }],
};

function run(...events: WizardEvent[]): WizardState {
  return events.reduce(wizardReducer, initialWizard);
}
const fill: WizardEvent = { type: "edit", change: input };

describe("handover wizard", () => {
  it("starts at step 1 with nothing chosen, and needs both people and a reason to preview", () => {
    expect(initialWizard.step).toBe("choose");
    expect(canPreview(initialWizard.input)).toBe(false);
    expect(canPreview({ ...input, reason: "   " })).toBe(false);
    expect(canPreview({ ...input, toStaffId: "" })).toBe(false);
    expect(canPreview(input)).toBe(true);
    expect(canGoForward(run(fill))).toBe(false);
    expect(canGoBack(initialWizard)).toBe(false);
  });

  it("moves to step 2 when the preview for the current input arrives", () => {
    const state = run(fill, { type: "previewed", input, answer: moves });
    expect(state.step).toBe("preview");
    expect(currentPreview(state)).toBe(moves);
    expect(canApply(state)).toBe(true);
  });

  it("ignores a preview answering input that has changed since", () => {
    const state = run(fill, { type: "edit", change: { reason: "changes job" } }, { type: "previewed", input, answer: moves });
    expect(state.step).toBe("choose");
    expect(currentPreview(state)).toBeUndefined();
  });

  it("goes back and forward between the steps, keeping the preview while the input stays", () => {
    let state = run(fill, { type: "previewed", input, answer: moves });
    state = wizardReducer(state, { type: "back" });
    expect(state.step).toBe("choose");
    expect(canGoForward(state)).toBe(true);
    state = wizardReducer(state, { type: "forward" });
    expect(state.step).toBe("preview");
    state = wizardReducer(state, { type: "forward" });
    expect(state.step).toBe("apply");
    state = wizardReducer(state, { type: "back" });
    expect(state.step).toBe("preview");
  });

  it("drops the preview and returns to step 1 when an input changes", () => {
    let state = run(fill, { type: "previewed", input, answer: moves }, { type: "forward" });
    expect(state.step).toBe("apply");
    state = wizardReducer(state, { type: "edit", change: { toStaffId: "zhang" } });
    expect(state.step).toBe("choose");
    expect(state.preview).toBeUndefined();
    expect(canGoForward(state)).toBe(false);
    expect(wizardReducer(state, { type: "forward" })).toBe(state);
  });

  it("keeps the preview when an edit leaves the input as it was (whitespace of the reason)", () => {
    const state = run(fill, { type: "previewed", input, answer: moves }, { type: "edit", change: { reason: `${input.reason}  ` } });
    expect(currentPreview(state)).toBe(moves);
  });

  it("does not go on to apply when a rule breaks or nothing moves", () => {
    const broken = run(fill, { type: "previewed", input, answer: breaks });
    expect(canApply(broken)).toBe(false);
    expect(wizardReducer(broken, { type: "forward" }).step).toBe("preview");
    const empty = run(fill, { type: "previewed", input, answer: { moved: [], ruleBreaks: [] } });
    expect(canApply(empty)).toBe(false);
  });

  it("records the result once applied, and then neither goes back nor takes edits until reset", () => {
    const applied: HandoverAnswer = { ...moves, moved: moves.moved.map((m) => ({ ...m, newItemId: `new-${m.itemId}` })) };
    let state = run(fill, { type: "previewed", input, answer: moves }, { type: "forward" }, { type: "applied", answer: applied });
    expect(state.result).toBe(applied);
    expect(canGoBack(state)).toBe(false);
    expect(wizardReducer(state, { type: "back" })).toBe(state);
    expect(wizardReducer(state, { type: "edit", change: { reason: "x" } })).toBe(state);
    state = wizardReducer(state, { type: "reset" });
    expect(state).toEqual(initialWizard);
  });

  it("accepts an applied answer only in step 3", () => {
    const state = run(fill, { type: "previewed", input, answer: moves });
    expect(wizardReducer(state, { type: "applied", answer: moves })).toBe(state);
  });
});

describe("handover preview per area", () => {
  it("groups the items by area, in the usual area order, with counts of items and accounts", () => {
    const groups = groupMoves(moves.moved);
    expect(groups.map((g) => [g.area, g.count, g.accounts])).toEqual([
      ["team_roles", 2, 2],
      ["opportunities", 1, 1],
    ]);
    expect(groups[0]!.items.map((i) => i.itemId)).toEqual(["m1", "m2"]);
  });

  it("puts areas it does not know after the known ones, by name", () => {
    expect(sortAreas(["zeta_things", "plan_actions", "alpha_things", "team_roles"])).toEqual([
      "team_roles",
      "plan_actions",
      "alpha_things",
      "zeta_things",
    ]);
  });
});

describe("workload aggregation", () => {
  const report = aggregateWorkload([
    { staffId: "s1", fullName: "Li Lei", activeAccounts: 5, maxAccounts: 10, openItems: { team_roles: 5n, opportunities: 3n } },
    { staffId: "s2", fullName: "Wang Fang", activeAccounts: 25, maxAccounts: 25, openItems: { service_requests: 7n, team_roles: 25n } },
    { staffId: "s3", fullName: "Zhang Wei", activeAccounts: 0, maxAccounts: 0, openItems: {} },
  ]);

  it("collects every area anyone has, in area order", () => {
    expect(report.areas).toEqual(["team_roles", "opportunities", "service_requests"]);
  });

  it("fills every area per person (0 when none) and totals per person", () => {
    expect(report.rows[0]!.items).toEqual({ team_roles: 5, opportunities: 3, service_requests: 0 });
    expect(report.rows.map((r) => r.total)).toEqual([8, 32, 0]);
  });

  it("totals per area and finds the longest bar", () => {
    expect(report.totals).toEqual({ team_roles: 30, opportunities: 3, service_requests: 7 });
    expect(report.maxTotal).toBe(32);
  });

  it("computes utilisation against capacity, 0 without capacity", () => {
    expect(report.rows.map((r) => r.utilisation)).toEqual([0.5, 1, 0]);
  });

  it("orders the busiest first and limits them", () => {
    expect(busiest(report.rows, 2).map((r) => r.staffId)).toEqual(["s2", "s1"]);
  });

  it("is empty for no one", () => {
    expect(aggregateWorkload([])).toEqual({ areas: [], rows: [], totals: {}, maxTotal: 0 });
  });
});
