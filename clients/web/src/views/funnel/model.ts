/**
 * The funnel board without a DOM: which column each opportunity sits in, the optimistic move (the
 * card goes to its new column at once, marked pending, and back again with the server's refusal
 * attached when the server says no), the filters the server cannot apply, and the arithmetic the
 * charts draw with. Everything here is pure, so the Vitest suite covers it in Node.
 */
import {
  ForecastCategory,
  type KamError,
  type Money,
  type Opportunity,
  type Pipeline,
  type PipelineStage,
  type Qualification,
  type CurrencyAmount,
  type SegmentForecast,
  type SegmentFunnel,
  type SegmentKey,
  type Tier,
} from "@kam/client";
import { addMoney, chartValue, parseMoney, type MoneyInputError } from "../../format/money";

// ---------------------------------------------------------------------------------------------------
// Stages

/** The stages a board shows as columns: the open ones, in the pipeline's order (won and lost are reached
 *  through CloseOpportunity, never by a move). */
export function openStages(pipeline: Pick<Pipeline, "stages">): PipelineStage[] {
  return pipeline.stages.filter((stage) => !stage.closedWon && !stage.closedLost);
}

/** Whether an opportunity in `stageKey` must be MAN qualified (rule MAN_REQUIRED): the qualification
 *  stage, every later stage and the won stage. */
export function stageNeedsQualification(
  pipeline: Pick<Pipeline, "stages" | "qualificationStageKey">,
  stageKey: string,
): boolean {
  if (pipeline.qualificationStageKey === "") return false;
  const gate = pipeline.stages.findIndex((stage) => stage.key === pipeline.qualificationStageKey);
  const index = pipeline.stages.findIndex((stage) => stage.key === stageKey);
  if (gate < 0 || index < 0) return false;
  const stage = pipeline.stages[index];
  if (stage?.closedLost) return false;
  return index >= gate;
}

/** MAN: Money (budget), Authority, Need. */
export type ManFlag = "budgetConfirmed" | "authorityConfirmed" | "needConfirmed";
export const MAN_FLAGS: readonly ManFlag[] = ["budgetConfirmed", "authorityConfirmed", "needConfirmed"];

export function isQualified(qualification: Qualification | undefined): boolean {
  return MAN_FLAGS.every((flag) => qualification?.[flag] === true);
}

// ---------------------------------------------------------------------------------------------------
// The board's state

/** One card: the opportunity as the server last gave it, plus what the board is doing with it. */
export interface BoardCard {
  opportunity: Opportunity;
  /** The column the card is drawn in: the target of a move in flight, else the opportunity's stage. */
  column: string;
  /** A move (or another write) is waiting for the server. */
  pending: boolean;
  /** The server's refusal of the last write on this card, shown on the card until the next one. */
  error: KamError | undefined;
}

export interface BoardState {
  /** In the order the server listed them. */
  cards: BoardCard[];
}

export const emptyBoard: BoardState = { cards: [] };

export type BoardEvent =
  /** A fresh first page: replaces the board. */
  | { type: "loaded"; opportunities: Opportunity[] }
  /** A further page: cards not yet on the board are added at the end. */
  | { type: "appended"; opportunities: Opportunity[] }
  /** A move leaves: the card goes to `stage` at once and waits. */
  | { type: "move_started"; id: string; stage: string }
  /** Another write on the card leaves (qualifying): the card waits where it is. */
  | { type: "write_started"; id: string }
  /** The server accepted a write: its answer replaces the card's opportunity. */
  | { type: "write_succeeded"; opportunity: Opportunity }
  /** The server refused: the card goes back to the stage the server has and shows why. */
  | { type: "write_refused"; id: string; error: KamError }
  | { type: "error_dismissed"; id: string };

function cardOf(opportunity: Opportunity): BoardCard {
  return { opportunity, column: opportunity.stage, pending: false, error: undefined };
}

function updateCard(state: BoardState, id: string, update: (card: BoardCard) => BoardCard): BoardState {
  let changed = false;
  const cards = state.cards.map((card) => {
    if (card.opportunity.id !== id) return card;
    changed = true;
    return update(card);
  });
  return changed ? { cards } : state;
}

export function boardReducer(state: BoardState, event: BoardEvent): BoardState {
  switch (event.type) {
    case "loaded":
      return { cards: event.opportunities.map(cardOf) };
    case "appended": {
      const known = new Set(state.cards.map((card) => card.opportunity.id));
      const fresh = event.opportunities.filter((opportunity) => !known.has(opportunity.id));
      return fresh.length === 0 ? state : { cards: [...state.cards, ...fresh.map(cardOf)] };
    }
    case "move_started":
      return updateCard(state, event.id, (card) => ({ ...card, column: event.stage, pending: true, error: undefined }));
    case "write_started":
      return updateCard(state, event.id, (card) => ({ ...card, pending: true, error: undefined }));
    case "write_succeeded":
      return updateCard(state, event.opportunity.id, () => cardOf(event.opportunity));
    case "write_refused":
      // Back to where the server says the opportunity is: the stage of the last answer we hold.
      return updateCard(state, event.id, (card) => ({
        ...card,
        column: card.opportunity.stage,
        pending: false,
        error: event.error,
      }));
    case "error_dismissed":
      return updateCard(state, event.id, (card) => (card.error ? { ...card, error: undefined } : card));
  }
}

/** Whether a move to `stage` is worth sending: another stage, and nothing else in flight on the card. */
export function canMove(card: BoardCard, stage: string): boolean {
  return !card.pending && card.opportunity.stage !== stage;
}

export interface BoardColumn {
  stage: PipelineStage;
  cards: BoardCard[];
  /** The stage needs MAN qualification (the board says so on the column). */
  gated: boolean;
}

/**
 * The columns of a pipeline's open stages, in order, each with its cards. A card whose column the
 * pipeline does not show (closed meanwhile, or another pipeline's) is left out.
 */
export function groupIntoColumns(
  pipeline: Pick<Pipeline, "stages" | "qualificationStageKey">,
  cards: readonly BoardCard[],
): BoardColumn[] {
  const columns = openStages(pipeline).map((stage) => ({
    stage,
    cards: [] as BoardCard[],
    gated: stageNeedsQualification(pipeline, stage.key),
  }));
  const byKey = new Map(columns.map((column) => [column.stage.key, column]));
  for (const card of cards) byKey.get(card.column)?.cards.push(card);
  return columns;
}

// ---------------------------------------------------------------------------------------------------
// Filters the server does not apply (ListOpportunities filters by account, owner, pipeline and stage
// only; tier and region are the account's, forecast category and amount are read from the card).

/** What the board narrows the loaded cards to. Empty fields do not narrow. */
export interface ClientFilter {
  tier: Tier | undefined;
  /** Case-insensitive, exact match of the account's region. */
  region: string;
  forecastCategory: ForecastCategory | undefined;
  /** The amount range applies to amounts in this currency; cards in another currency (or without an
   *  amount) are left out while a bound is set. */
  currency: string;
  minAmount: Money | undefined;
  maxAmount: Money | undefined;
}

export const noClientFilter: ClientFilter = {
  tier: undefined,
  region: "",
  forecastCategory: undefined,
  currency: "",
  minAmount: undefined,
  maxAmount: undefined,
};

/** The account facts the client-side filters read. */
export interface AccountFacts {
  tier: Tier;
  region: string;
}

const NANOS = 1_000_000_000n;

/** An amount in nanos, exact. */
export function moneyNanos(money: Pick<Money, "units" | "nanos">): bigint {
  return money.units * NANOS + BigInt(money.nanos);
}

/** a < b: negative, a = b: 0, a > b: positive (same currency assumed). */
export function compareMoney(a: Pick<Money, "units" | "nanos">, b: Pick<Money, "units" | "nanos">): number {
  const difference = moneyNanos(a) - moneyNanos(b);
  return difference < 0n ? -1 : difference > 0n ? 1 : 0;
}

export function matchesClientFilter(
  opportunity: Opportunity,
  filter: ClientFilter,
  accounts: ReadonlyMap<string, AccountFacts>,
): boolean {
  if (filter.tier !== undefined || filter.region.trim() !== "") {
    const account = accounts.get(opportunity.accountId);
    // An account we do not know the facts of cannot be shown to match.
    if (!account) return false;
    if (filter.tier !== undefined && account.tier !== filter.tier) return false;
    const region = filter.region.trim().toLowerCase();
    if (region !== "" && account.region.toLowerCase() !== region) return false;
  }
  if (filter.forecastCategory !== undefined && opportunity.forecastCategory !== filter.forecastCategory) {
    return false;
  }
  if (filter.minAmount || filter.maxAmount) {
    const amount = opportunity.amount;
    if (!amount || amount.currencyCode !== filter.currency) return false;
    if (filter.minAmount && compareMoney(amount, filter.minAmount) < 0) return false;
    if (filter.maxAmount && compareMoney(amount, filter.maxAmount) > 0) return false;
  }
  return true;
}

export function filterCards(
  cards: readonly BoardCard[],
  filter: ClientFilter,
  accounts: ReadonlyMap<string, AccountFacts>,
): BoardCard[] {
  return cards.filter((card) => matchesClientFilter(card.opportunity, filter, accounts));
}

/** The card filters as typed into the form (every value a string, "" for none). */
export interface CardFilterForm {
  region: string;
  /** A ForecastCategory number, or "". */
  forecastCategory: string;
  currency: string;
  min: string;
  max: string;
}

export const emptyCardFilterForm: CardFilterForm = { region: "", forecastCategory: "", currency: "", min: "", max: "" };

export interface ReadCardFilter {
  filter: ClientFilter;
  /** Why a bound is not an amount; the bound is then ignored. */
  minError: MoneyInputError | undefined;
  maxError: MoneyInputError | undefined;
  /** A bound is typed but no currency is chosen: the bounds are ignored. */
  currencyMissing: boolean;
}

/** The form's text read as a filter: amounts parsed exactly, unreadable bounds reported and ignored. */
export function readCardFilter(form: CardFilterForm, tier: Tier | undefined): ReadCardFilter {
  const bound = (text: string): { money: Money | undefined; error: MoneyInputError | undefined } => {
    if (text.trim() === "") return { money: undefined, error: undefined };
    const parsed = parseMoney(text, form.currency);
    return typeof parsed === "string" ? { money: undefined, error: parsed } : { money: parsed, error: undefined };
  };
  const min = bound(form.min);
  const max = bound(form.max);
  const currencyMissing = form.currency === "" && (min.money !== undefined || max.money !== undefined);
  const category = form.forecastCategory === "" ? undefined : (Number(form.forecastCategory) as ForecastCategory);
  return {
    filter: {
      tier,
      region: form.region,
      forecastCategory: category,
      currency: form.currency,
      minAmount: currencyMissing ? undefined : min.money,
      maxAmount: currencyMissing ? undefined : max.money,
    },
    minError: min.error,
    maxError: max.error,
    currencyMissing,
  };
}

/** The currencies of the loaded cards, sorted, each once: what the amount range can apply to. */
export function cardCurrencies(cards: readonly BoardCard[]): string[] {
  return [...new Set(cards.flatMap((card) => (card.opportunity.amount ? [card.opportunity.amount.currencyCode] : [])))].sort();
}

/** The regions of the known accounts, sorted, each once. */
export function regionsOf(accounts: ReadonlyMap<string, AccountFacts>): string[] {
  return [...new Set([...accounts.values()].map((account) => account.region).filter((region) => region !== ""))].sort();
}

// ---------------------------------------------------------------------------------------------------
// The account picker

/** The option the arrow keys move to among `count` options: down from none is the first, up from none
 *  or from the first is the last, down from the last wraps to the first; -1 when there is none. */
export function nextActiveOption(current: number, count: number, step: 1 | -1): number {
  if (count <= 0) return -1;
  if (current < 0 || current >= count) return step === 1 ? 0 : count - 1;
  return (current + step + count) % count;
}

// ---------------------------------------------------------------------------------------------------
// Charts

/** The currencies that occur in a list of per-currency sums, sorted, each once. */
export function currenciesOf(sums: readonly { currencyCode: string }[][]): string[] {
  return [...new Set(sums.flat().map((sum) => sum.currencyCode))].sort();
}

/** The sum in `currency` of a list of per-currency sums, for drawing; 0 when there is none. */
export function amountIn(sums: readonly { currencyCode: string; amount?: Money | undefined }[], currency: string): number {
  const found = sums.find((sum) => sum.currencyCode === currency);
  return found?.amount ? chartValue(found.amount) : 0;
}

/** The length of a bar of `value` when `max` fills `width`; non-negative, 0 when there is nothing. */
export function barLength(value: number, max: number, width: number): number {
  if (!(max > 0) || !(value > 0)) return 0;
  return Math.min(width, (value / max) * width);
}

/** A share in [0, 1] as a percentage with one decimal, e.g. 0.4567 → "45.7". */
export function percentText(share: number): string {
  return (Math.round(share * 1000) / 10).toFixed(1);
}

/** Days as text with one decimal. */
export function daysText(days: number): string {
  return (Math.round(days * 10) / 10).toFixed(1);
}

/**
 * The period a report covers, from two `yyyy-mm-dd` inputs in the browser's zone: from the start of
 * `since` up to the end of `until` (the request's range is half-open, so the end is the next day's
 * start). Empty inputs leave that end open.
 */
export function periodRange(since: string, until: string): { start: Date | undefined; end: Date | undefined } {
  const day = (text: string, offsetDays: number): Date | undefined => {
    const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
    if (!match) return undefined;
    return new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3]) + offsetDays);
  };
  return { start: day(since, 0), end: day(until, 1) };
}

/** The forecast categories an open opportunity may have, in the forecast's order. */
export const OPEN_FORECAST_CATEGORIES: readonly ForecastCategory[] = [
  ForecastCategory.PIPELINE,
  ForecastCategory.BEST_CASE,
  ForecastCategory.COMMIT,
  ForecastCategory.OMITTED,
];

// ---------------------------------------------------------------------------------------------------
// By segment
// ---------------------------------------------------------------------------------------------------

/** One segment's line of the breakdown: the funnel summary's and the forecast's figures joined. */
export interface SegmentRow {
  key: SegmentKey | undefined;
  /** Opportunities in every stage (won and lost included). */
  count: bigint;
  /** Their amounts per currency. */
  amounts: { currencyCode: string; amount: Money }[];
  weightedPipeline: CurrencyAmount[];
  closedWon: CurrencyAmount[];
}

const segmentKeyOf = (key: SegmentKey | undefined) => `${key?.code ?? ""}\u0000${key?.name ?? ""}`;

/**
 * The funnel summary's and the forecast's segments joined by segment, in the server's order (the
 * summary's first, then any only the forecast has); each segment's stage amounts summed per currency,
 * exactly.
 */
export function segmentRows(summary: readonly SegmentFunnel[], forecast: readonly SegmentForecast[]): SegmentRow[] {
  const rows = new Map<string, SegmentRow>();
  const rowFor = (key: SegmentKey | undefined) => {
    const id = segmentKeyOf(key);
    let row = rows.get(id);
    if (!row) {
      row = { key, count: 0n, amounts: [], weightedPipeline: [], closedWon: [] };
      rows.set(id, row);
    }
    return row;
  };
  for (const segment of summary) {
    const row = rowFor(segment.segment);
    for (const stage of segment.stages) {
      row.count += stage.count;
      for (const sum of stage.amounts) {
        if (!sum.amount) continue;
        const index = row.amounts.findIndex((known) => known.currencyCode === sum.currencyCode);
        if (index < 0) row.amounts.push({ currencyCode: sum.currencyCode, amount: sum.amount });
        else row.amounts[index] = { currencyCode: sum.currencyCode, amount: addMoney(row.amounts[index]!.amount, sum.amount) };
      }
    }
  }
  for (const segment of forecast) {
    const row = rowFor(segment.segment);
    row.weightedPipeline = [...segment.weightedPipeline];
    row.closedWon = [...segment.closedWon];
  }
  for (const row of rows.values()) row.amounts.sort((a, b) => a.currencyCode.localeCompare(b.currencyCode));
  return [...rows.values()];
}
