/**
 * The SLA board and the live stream that keeps it current, without the DOM: which column a request
 * belongs in at a given instant, how a re-read request changes the board, what an event asks to be
 * re-read, and how long to wait before opening the stream again.
 *
 * The columns are those of `kamctl sla board`: a request shows once, in the worst column one of its
 * targets qualifies for — BREACHED over AT RISK over DUE SOON (a target still in progress, due within
 * the chosen window) — with the target that put it there and its due time.
 */
import {
  Code,
  Priority,
  ServiceRequest_Status,
  SlaTarget_State,
  SlaTargetKind,
  type KamError,
  type ServiceRequest,
  type SlaTarget,
} from "@kam/client";
import { timestampDate } from "@bufbuild/protobuf/wkt";

export type Column = "breached" | "atRisk" | "dueSoon";

/** Left to right on the board, each worse than the one before. */
export const COLUMNS: readonly Column[] = ["dueSoon", "atRisk", "breached"];

/** The "within" windows offered for due soon, in minutes (the CLI's default is 4 h). */
export const WITHIN_CHOICES: readonly number[] = [30, 60, 120, 240, 480, 1440];
export const DEFAULT_WITHIN = 240;

/** What the board is filtered by; the server filters the lists, the model filters re-read requests. */
export interface BoardFilters {
  /** "" for everyone. */
  assigneeStaffId: string;
  /** PRIORITY_UNSPECIFIED for all. */
  priority: Priority;
  withinMinutes: number;
}

export const NO_FILTERS: BoardFilters = {
  assigneeStaffId: "",
  priority: Priority.PRIORITY_UNSPECIFIED,
  withinMinutes: DEFAULT_WITHIN,
};

/** One request on the board: the column, and the target (and its due time) that put it there. */
export interface Card {
  request: ServiceRequest;
  column: Column;
  target: SlaTargetKind;
  due: Date;
}

export type Board = Record<Column, Card[]>;

const OPEN_STATUSES: readonly ServiceRequest_Status[] = [
  ServiceRequest_Status.NEW,
  ServiceRequest_Status.IN_PROGRESS,
  ServiceRequest_Status.WAITING_ON_CUSTOMER,
  ServiceRequest_Status.WAITING_ON_THIRD_PARTY,
];

export function isOpen(status: ServiceRequest_Status): boolean {
  return OPEN_STATUSES.includes(status);
}

/**
 * A target's state at `now`. The server's answer is the state at the time of the read; between reads
 * only time moves a running target on (IN_PROGRESS → AT_RISK → BREACHED, at its at-risk and due times,
 * the same rule the server evaluates in SQL). Settled states (paused, met, breached, cancelled) only
 * change by a write, which the live stream reports.
 */
export function stateAt(target: SlaTarget, now: Date): SlaTarget_State {
  const running = target.state === SlaTarget_State.IN_PROGRESS || target.state === SlaTarget_State.AT_RISK;
  if (!running || !target.dueTime) return target.state;
  if (timestampDate(target.dueTime).getTime() < now.getTime()) return SlaTarget_State.BREACHED;
  if (target.atRiskTime && timestampDate(target.atRiskTime).getTime() <= now.getTime()) {
    return SlaTarget_State.AT_RISK;
  }
  return SlaTarget_State.IN_PROGRESS;
}

function targetsOf(request: ServiceRequest): [SlaTargetKind, SlaTarget | undefined][] {
  return [
    [SlaTargetKind.FIRST_RESPONSE, request.firstResponse],
    [SlaTargetKind.RESOLUTION, request.resolution],
  ];
}

/** Where a request goes at `now`, or undefined when it needs no attention (or is not open). */
export function place(request: ServiceRequest, now: Date, withinMinutes: number): Card | undefined {
  if (!isOpen(request.status)) return undefined;
  const horizon = now.getTime() + withinMinutes * 60_000;
  const candidates: Card[] = [];
  for (const [kind, target] of targetsOf(request)) {
    if (!target?.dueTime) continue;
    const due = timestampDate(target.dueTime);
    const state = stateAt(target, now);
    const column: Column | undefined =
      state === SlaTarget_State.BREACHED
        ? "breached"
        : state === SlaTarget_State.AT_RISK
          ? "atRisk"
          : state === SlaTarget_State.IN_PROGRESS && due.getTime() < horizon
            ? "dueSoon"
            : undefined;
    if (column) candidates.push({ request, column, target: kind, due });
  }
  // The worst column wins; within it, the target due soonest.
  candidates.sort((a, b) => rank(b.column) - rank(a.column) || a.due.getTime() - b.due.getTime());
  return candidates[0];
}

function rank(column: Column): number {
  return COLUMNS.indexOf(column);
}

export function matchesFilters(request: ServiceRequest, filters: BoardFilters): boolean {
  if (filters.assigneeStaffId !== "" && request.assigneeStaffId !== filters.assigneeStaffId) return false;
  if (filters.priority !== Priority.PRIORITY_UNSPECIFIED && request.priority !== filters.priority) return false;
  return true;
}

/** The three columns at `now`, each soonest due first. */
export function buildBoard(requests: Iterable<ServiceRequest>, filters: BoardFilters, now: Date): Board {
  const board: Board = { dueSoon: [], atRisk: [], breached: [] };
  for (const request of requests) {
    if (!matchesFilters(request, filters)) continue;
    const card = place(request, now, filters.withinMinutes);
    if (card) board[card.column].push(card);
  }
  for (const column of COLUMNS) board[column].sort((a, b) => a.due.getTime() - b.due.getTime());
  return board;
}

/** The requests the board tracks, by id. Ones outside every column are kept: time may bring them in. */
export type Tracked = ReadonlyMap<string, ServiceRequest>;

/**
 * The board after one request was read again: `undefined` when it can no longer be read (deleted, or
 * no longer visible to the caller), which removes it, as does a request that is no longer open.
 */
export function applyReread(tracked: Tracked, id: string, request: ServiceRequest | undefined): Tracked {
  const next = new Map(tracked);
  if (request === undefined || !isOpen(request.status)) {
    next.delete(id);
  } else {
    next.set(id, request);
  }
  return next;
}

/** The requests of the three board lists, once each (a request can be in two lists). */
export function trackAll(lists: readonly (readonly ServiceRequest[])[]): Tracked {
  const tracked = new Map<string, ServiceRequest>();
  for (const list of lists) for (const request of list) tracked.set(request.id, request);
  return tracked;
}

/**
 * The due-soon list looks this far beyond the window, and the board is listed again this often, so a
 * request whose due time comes within the window as time passes is already on hand when it does.
 */
export const LOOKAHEAD_MINUTES = 10;
export const RELIST_INTERVAL_MS = 5 * 60_000;

/** The clock on the cards ticks this often. */
export const TICK_MS = 30_000;

/** Minutes from `now` to the card's due time; negative when overdue. */
export function minutesLeft(card: Card, now: Date): number {
  return (card.due.getTime() - now.getTime()) / 60_000;
}

// ---------------------------------------------------------------------------------------------------
// Events: what to read again
// ---------------------------------------------------------------------------------------------------

/**
 * The part of an event the board relies on. The payload is deliberately not read: its format is not
 * a contract (it is going to change); the board re-reads what the event names instead.
 */
export interface EventRef {
  eventType: string;
  resourceType: string;
  resourceId: string;
  accountId: string;
}

/** The resource types the board asks the stream for. */
export const WATCHED_RESOURCES: readonly string[] = [
  "service_request",
  "business_calendar",
  "account",
  "staff",
  "team_member",
];

export type Reread =
  /** Read this request again and place it (or drop it). */
  | { kind: "request"; id: string }
  /** List the whole board again: many requests may have moved. */
  | { kind: "board" }
  /** An account's name may have changed. */
  | { kind: "account"; id: string }
  /** A staff member's name may have changed. */
  | { kind: "staff"; id: string }
  | { kind: "none" };

/**
 * What one event asks the board to read again. `teamScoped` is true for a caller who sees only the
 * accounts of its teams (a MEMBER): a team change may show or hide a whole account's requests.
 */
export function rereadFor(event: EventRef, teamScoped: boolean): Reread {
  switch (event.resourceType) {
    case "service_request":
      // Every request event (created, updated, status, first response, SLA recalculated, at risk,
      // breached, escalated) names the request as its resource.
      return event.resourceId ? { kind: "request", id: event.resourceId } : { kind: "none" };
    case "business_calendar":
      // A changed calendar re-derives the due times of every open request counted in it.
      return event.eventType === "BusinessCalendarUpdated" ? { kind: "board" } : { kind: "none" };
    case "account":
      return event.resourceId ? { kind: "account", id: event.resourceId } : { kind: "none" };
    case "staff":
      return event.resourceId ? { kind: "staff", id: event.resourceId } : { kind: "none" };
    case "team_member":
      return teamScoped ? { kind: "board" } : { kind: "none" };
    default:
      return { kind: "none" };
  }
}

/** More distinct requests than this in one batch are read as one new listing of the board instead. */
export const MAX_REREADS_PER_BATCH = 20;

/** What a batch of events asks for, each request, account and staff member once. */
export interface RereadPlan {
  board: boolean;
  requestIds: string[];
  accountIds: string[];
  staffIds: string[];
}

export function planRereads(events: readonly EventRef[], teamScoped: boolean): RereadPlan {
  const requests = new Set<string>();
  const accounts = new Set<string>();
  const staff = new Set<string>();
  let board = false;
  for (const event of events) {
    const reread = rereadFor(event, teamScoped);
    switch (reread.kind) {
      case "request":
        requests.add(reread.id);
        break;
      case "board":
        board = true;
        break;
      case "account":
        accounts.add(reread.id);
        break;
      case "staff":
        staff.add(reread.id);
        break;
      case "none":
        break;
    }
  }
  if (requests.size > MAX_REREADS_PER_BATCH) board = true;
  return {
    board,
    requestIds: board ? [] : [...requests],
    accountIds: [...accounts],
    staffIds: [...staff],
  };
}

// ---------------------------------------------------------------------------------------------------
// Reconnecting
// ---------------------------------------------------------------------------------------------------

/** Waits before reopening the stream: 1 s, 2 s, 4 s, … up to 30 s, starting over once it delivers. */
export const BACKOFF_BASE_MS = 1_000;
export const BACKOFF_MAX_MS = 30_000;
/** TOO_MANY_STREAMS: the tab's other streams (other tabs) must end first; do not hurry. */
export const EXHAUSTED_MIN_MS = 10_000;

/**
 * The delay before attempt `attempt` (0 for the first retry after a failure). `random` spreads the
 * tabs of many people whose streams a restarting server ended at once (±20 %).
 */
export function backoffDelay(attempt: number, error?: KamError, random: () => number = Math.random): number {
  let delay = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, attempt));
  if (error?.code === Code.ResourceExhausted) {
    delay = Math.max(delay, EXHAUSTED_MIN_MS, error.retryAfterMs ?? 0);
  } else if (error?.retryAfterMs !== undefined) {
    delay = Math.max(delay, error.retryAfterMs);
  }
  return Math.round(delay * (0.8 + 0.4 * random()));
}

/**
 * What to do when the stream ended: `retry` resumes from the last cursor after a backoff; `restart`
 * drops the cursor (this server did not issue it, or the events after it were deleted) and lists the
 * board again; `stop` gives up (the credential is no longer valid: signing in again starts over).
 */
export type StreamEndAction = "retry" | "restart" | "stop";

export function onStreamEnd(error: KamError | undefined): StreamEndAction {
  if (!error) return "retry";
  switch (error.code) {
    case Code.Unauthenticated:
      return "stop";
    case Code.InvalidArgument:
      return "restart";
    case Code.FailedPrecondition:
      return error.reason === "CURSOR_EXPIRED" ? "restart" : "retry";
    default:
      // UNAVAILABLE (server shutdown), RESOURCE_EXHAUSTED (too many streams), PERMISSION_DENIED (roles
      // changed: open again to see what the new roles allow), network failures.
      return "retry";
  }
}

/** The status the indicator shows. */
export type LiveStatus =
  | { state: "connecting" }
  | { state: "live" }
  | { state: "reconnecting"; retryAt: number; error?: KamError }
  | { state: "stopped"; error?: KamError };

// ---------------------------------------------------------------------------------------------------
// The request page
// ---------------------------------------------------------------------------------------------------

/** The transition graph of ServiceRequest.Status: where a request may go from `status`. */
export function nextStatuses(status: ServiceRequest_Status): ServiceRequest_Status[] {
  const S = ServiceRequest_Status;
  switch (status) {
    case S.NEW:
      return [S.IN_PROGRESS, S.WAITING_ON_CUSTOMER, S.WAITING_ON_THIRD_PARTY, S.RESOLVED, S.CANCELLED];
    case S.IN_PROGRESS:
      return [S.WAITING_ON_CUSTOMER, S.WAITING_ON_THIRD_PARTY, S.RESOLVED, S.CANCELLED];
    case S.WAITING_ON_CUSTOMER:
    case S.WAITING_ON_THIRD_PARTY:
      return [S.IN_PROGRESS, S.RESOLVED, S.CANCELLED];
    case S.RESOLVED:
      return [S.CLOSED, S.IN_PROGRESS];
    default:
      return [];
  }
}

/** A CLOSED or CANCELLED request is not changed any more (REQUEST_FINAL). */
export function isFinal(status: ServiceRequest_Status): boolean {
  return status === ServiceRequest_Status.CLOSED || status === ServiceRequest_Status.CANCELLED;
}
