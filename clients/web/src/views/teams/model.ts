/**
 * What the teams page derives without a browser: the handover wizard's steps as a state machine, the
 * handover preview grouped by area, and the workload report aggregated per area for table and bars.
 */

// ---------------------------------------------------------------------------------------------------
// The handover wizard

export type Step = "choose" | "preview" | "apply";
export const STEPS: readonly Step[] = ["choose", "preview", "apply"];

/** What the person chooses in step 1. */
export interface HandoverInput {
  fromStaffId: string;
  toStaffId: string;
  reason: string;
}

/** The parts of a TransferResponsibilitiesResponse the wizard reasons about. */
export interface MovedItem {
  area: string;
  accountId: string;
  itemId: string;
  description: string;
  newItemId: string;
}
export interface RuleBreakItem {
  rule: string;
  accountId: string;
  description: string;
}
export interface HandoverAnswer {
  moved: MovedItem[];
  ruleBreaks: RuleBreakItem[];
}

export interface WizardState {
  step: Step;
  input: HandoverInput;
  /** The validate_only answer, and the input it answers: a preview of other input is never shown. */
  preview: { input: HandoverInput; answer: HandoverAnswer } | undefined;
  /** What the applied handover moved; the wizard is done once set. */
  result: HandoverAnswer | undefined;
}

export type WizardEvent =
  | { type: "edit"; change: Partial<HandoverInput> }
  | { type: "previewed"; input: HandoverInput; answer: HandoverAnswer }
  | { type: "back" }
  | { type: "forward" }
  | { type: "applied"; answer: HandoverAnswer }
  | { type: "reset" };

export const initialWizard: WizardState = {
  step: "choose",
  input: { fromStaffId: "", toStaffId: "", reason: "" },
  preview: undefined,
  result: undefined,
};

export function sameInput(a: HandoverInput, b: HandoverInput): boolean {
  return a.fromStaffId === b.fromStaffId && a.toStaffId === b.toStaffId && a.reason.trim() === b.reason.trim();
}

/**
 * Whether step 1 is filled in enough to ask for a preview. The server judges the rest (the same person
 * twice, an inactive receiver, a reason too long) and names the field; the wizard shows its answer.
 */
export function canPreview(input: HandoverInput): boolean {
  return input.fromStaffId !== "" && input.toStaffId !== "" && input.reason.trim() !== "";
}

/** The preview for the current input, if there is one (an edit makes the old one useless). */
export function currentPreview(state: WizardState): HandoverAnswer | undefined {
  return state.preview && sameInput(state.preview.input, state.input) ? state.preview.answer : undefined;
}

/** Whether the previewed handover may be applied: it moves something and breaks no rule. */
export function canApply(state: WizardState): boolean {
  const preview = currentPreview(state);
  return preview !== undefined && preview.moved.length > 0 && preview.ruleBreaks.length === 0;
}

export function canGoBack(state: WizardState): boolean {
  return state.step !== "choose" && state.result === undefined;
}

export function canGoForward(state: WizardState): boolean {
  switch (state.step) {
    case "choose":
      return currentPreview(state) !== undefined;
    case "preview":
      return canApply(state);
    case "apply":
      return false;
  }
}

export function wizardReducer(state: WizardState, event: WizardEvent): WizardState {
  switch (event.type) {
    case "edit": {
      // Choices can only change before the handover is done; a changed choice sends the wizard back
      // to step 1 and drops the preview, which no longer says what would move.
      if (state.result !== undefined) return state;
      const input = { ...state.input, ...event.change };
      const keepsPreview = state.preview !== undefined && sameInput(state.preview.input, input);
      return { ...state, step: "choose", input, preview: keepsPreview ? state.preview : undefined };
    }
    case "previewed":
      // An answer for input changed since it was asked is stale: ignored.
      if (state.result !== undefined || !sameInput(event.input, state.input)) return state;
      return { ...state, step: "preview", preview: { input: event.input, answer: event.answer } };
    case "back":
      if (!canGoBack(state)) return state;
      return { ...state, step: state.step === "apply" ? "preview" : "choose" };
    case "forward":
      if (!canGoForward(state)) return state;
      return { ...state, step: state.step === "choose" ? "preview" : "apply" };
    case "applied":
      if (state.step !== "apply" || state.result !== undefined) return state;
      return { ...state, result: event.answer };
    case "reset":
      return initialWizard;
  }
}

// ---------------------------------------------------------------------------------------------------
// The handover, per area

/** The areas in the order people think of them; areas a newer server adds follow by name. */
export const AREA_ORDER: readonly string[] = ["team_roles", "opportunities", "service_requests", "plan_actions"];

export function sortAreas(areas: Iterable<string>): string[] {
  const rank = (area: string) => {
    const index = AREA_ORDER.indexOf(area);
    return index === -1 ? AREA_ORDER.length : index;
  };
  return [...new Set(areas)].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

export interface AreaGroup {
  area: string;
  count: number;
  /** How many different accounts the area's items are on. */
  accounts: number;
  items: MovedItem[];
}

/** What moves, per area (in area order), each with its items. */
export function groupMoves(moved: readonly MovedItem[]): AreaGroup[] {
  return sortAreas(moved.map((item) => item.area)).map((area) => {
    const items = moved.filter((item) => item.area === area);
    return { area, count: items.length, accounts: new Set(items.map((item) => item.accountId)).size, items };
  });
}

// ---------------------------------------------------------------------------------------------------
// Workload

/** The parts of a Workload the report uses. */
export interface WorkloadIn {
  staffId: string;
  fullName: string;
  activeAccounts: number;
  maxAccounts: number;
  openItems: Record<string, bigint>;
}

export interface WorkloadRow {
  staffId: string;
  fullName: string;
  activeAccounts: number;
  maxAccounts: number;
  /** activeAccounts / maxAccounts, 0 when there is no capacity. */
  utilisation: number;
  /** Open items per area; every area of the report is present (0 when none). */
  items: Record<string, number>;
  total: number;
}

export interface WorkloadReport {
  /** Every area anyone has open items in, in area order. */
  areas: string[];
  rows: WorkloadRow[];
  /** Open items per area across everyone. */
  totals: Record<string, number>;
  /** The largest per-person total: the full length of a bar. */
  maxTotal: number;
}

export function aggregateWorkload(workloads: readonly WorkloadIn[]): WorkloadReport {
  const areas = sortAreas(workloads.flatMap((w) => Object.keys(w.openItems)));
  const totals: Record<string, number> = Object.fromEntries(areas.map((area) => [area, 0]));
  const rows = workloads.map((w) => {
    const items: Record<string, number> = {};
    let total = 0;
    for (const area of areas) {
      // Counts of items, far below 2^53: a number is exact.
      const count = Number(w.openItems[area] ?? 0n);
      items[area] = count;
      totals[area] = (totals[area] ?? 0) + count;
      total += count;
    }
    return {
      staffId: w.staffId,
      fullName: w.fullName,
      activeAccounts: w.activeAccounts,
      maxAccounts: w.maxAccounts,
      utilisation: w.maxAccounts > 0 ? w.activeAccounts / w.maxAccounts : 0,
      items,
      total,
    };
  });
  return { areas, rows, totals, maxTotal: rows.reduce((max, row) => Math.max(max, row.total), 0) };
}

/** The busiest people first (most open items, then fullest capacity, then by name), at most `limit`. */
export function busiest(rows: readonly WorkloadRow[], limit: number): WorkloadRow[] {
  return [...rows]
    .sort((a, b) => b.total - a.total || b.utilisation - a.utilisation || a.fullName.localeCompare(b.fullName))
    .slice(0, limit);
}
