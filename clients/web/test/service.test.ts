/**
 * The SLA board's model: bucketing requests into due soon / at risk / breached, applying re-read
 * requests, which events ask for which re-reads, the reconnect backoff, the live-stream loop and the
 * ordered re-reads of BoardSync.
 */
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  Code,
  ConnectError,
  Priority,
  ServiceRequest_Status,
  ServiceRequestSchema,
  SlaTarget_State,
  SlaTargetKind,
  SlaTargetSchema,
  type KamError,
  type ServiceRequest,
} from "@kam/client";
import { describe, expect, it } from "vitest";
import { runLiveStream, type StreamResponse } from "../src/views/service/live";
import {
  applyReread,
  backoffDelay,
  buildBoard,
  isOpen,
  MAX_REREADS_PER_BATCH,
  nextStatuses,
  NO_FILTERS,
  onStreamEnd,
  place,
  planRereads,
  rereadFor,
  stateAt,
  trackAll,
  type EventRef,
  type LiveStatus,
} from "../src/views/service/model";
import { BoardSync } from "../src/views/service/sync";

const NOW = new Date("2026-11-23T12:00:00Z");
const at = (minutesFromNow: number) => timestampFromDate(new Date(NOW.getTime() + minutesFromNow * 60_000));

interface TargetInit {
  state: SlaTarget_State;
  /** Minutes from NOW. */
  due: number;
  atRisk?: number;
  fulfilled?: number;
}

function target({ state, due, atRisk, fulfilled }: TargetInit) {
  return create(SlaTargetSchema, {
    state,
    dueTime: at(due),
    atRiskTime: at(atRisk ?? due - 10),
    ...(fulfilled === undefined ? {} : { fulfilledTime: at(fulfilled) }),
  });
}

function request(
  id: string,
  fr: TargetInit,
  res: TargetInit,
  more: Partial<{ status: ServiceRequest_Status; priority: Priority; assigneeStaffId: string }> = {},
): ServiceRequest {
  return create(ServiceRequestSchema, {
    id,
    title: id,
    accountId: "acct",
    status: ServiceRequest_Status.IN_PROGRESS,
    priority: Priority.P3,
    firstResponse: target(fr),
    resolution: target(res),
    ...more,
  });
}

const running = (due: number, atRisk?: number): TargetInit => ({
  state: SlaTarget_State.IN_PROGRESS,
  due,
  ...(atRisk === undefined ? {} : { atRisk }),
});
const met: TargetInit = { state: SlaTarget_State.MET, due: -30, fulfilled: -60 };
const ids = (cards: { request: ServiceRequest }[]) => cards.map((card) => card.request.id);

describe("bucketing", () => {
  it("puts a running target due within the window in due soon, and leaves later ones out", () => {
    const soon = request("soon", met, running(90));
    const later = request("later", met, running(600, 500));
    const board = buildBoard([soon, later], { ...NO_FILTERS, withinMinutes: 120 }, NOW);
    expect(ids(board.dueSoon)).toEqual(["soon"]);
    expect(board.atRisk).toEqual([]);
    expect(board.breached).toEqual([]);
    // A wider window takes it in.
    expect(ids(buildBoard([later], { ...NO_FILTERS, withinMinutes: 1440 }, NOW).dueSoon)).toEqual(["later"]);
  });

  it("uses the state the server read, and moves running targets on with time", () => {
    const atRisk = request("risk", met, { state: SlaTarget_State.AT_RISK, due: 20, atRisk: -5 });
    const breached = request("breached", met, { state: SlaTarget_State.BREACHED, due: -5 });
    // Read while in progress; since then its at-risk time, then its due time has passed.
    const turnsAtRisk = request("turns-risk", met, running(30, 5));
    const board = buildBoard([atRisk, breached, turnsAtRisk], NO_FILTERS, NOW);
    expect(ids(board.atRisk)).toEqual(["risk"]);
    expect(ids(board.breached)).toEqual(["breached"]);
    expect(ids(board.dueSoon)).toEqual(["turns-risk"]);

    const later = new Date(NOW.getTime() + 6 * 60_000);
    expect(ids(buildBoard([turnsAtRisk], NO_FILTERS, later).atRisk)).toEqual(["turns-risk"]);
    const overdue = new Date(NOW.getTime() + 31 * 60_000);
    expect(ids(buildBoard([turnsAtRisk], NO_FILTERS, overdue).breached)).toEqual(["turns-risk"]);
    expect(stateAt(target(running(30, 5)), overdue)).toBe(SlaTarget_State.BREACHED);
  });

  it("shows a request once, in the worst column, with the target that put it there", () => {
    // First response at risk, resolution breached: breached, for the resolution.
    const both = request("both", { state: SlaTarget_State.AT_RISK, due: 10, atRisk: -1 }, {
      state: SlaTarget_State.BREACHED,
      due: -20,
    });
    const card = place(both, NOW, 240);
    expect(card?.column).toBe("breached");
    expect(card?.target).toBe(SlaTargetKind.RESOLUTION);
    // Both due soon: the sooner one.
    const soonest = place(request("two", running(100), running(50)), NOW, 240);
    expect(soonest?.target).toBe(SlaTargetKind.RESOLUTION);
  });

  it("leaves out requests that are not open, and paused or met targets", () => {
    const resolved = request("resolved", met, running(10), { status: ServiceRequest_Status.RESOLVED });
    const paused = request("paused", met, { state: SlaTarget_State.PAUSED, due: 30 });
    expect(buildBoard([resolved, paused], NO_FILTERS, NOW)).toEqual({ dueSoon: [], atRisk: [], breached: [] });
  });

  it("sorts each column by due time and applies the filters", () => {
    const a = request("a", met, running(90), { priority: Priority.P1, assigneeStaffId: "s1" });
    const b = request("b", met, running(30), { priority: Priority.P2, assigneeStaffId: "s2" });
    expect(ids(buildBoard([a, b], NO_FILTERS, NOW).dueSoon)).toEqual(["b", "a"]);
    expect(ids(buildBoard([a, b], { ...NO_FILTERS, priority: Priority.P1 }, NOW).dueSoon)).toEqual(["a"]);
    expect(ids(buildBoard([a, b], { ...NO_FILTERS, assigneeStaffId: "s2" }, NOW).dueSoon)).toEqual(["b"]);
  });
});

describe("applying a re-read request", () => {
  const first = request("r1", running(50), running(100));
  const tracked = trackAll([[first], [first]]);

  it("tracks each request once", () => {
    expect([...tracked.keys()]).toEqual(["r1"]);
  });

  it("moves it between columns", () => {
    const nowAtRisk = request("r1", { state: SlaTarget_State.AT_RISK, due: 5, atRisk: -3 }, running(100));
    expect(buildBoard(tracked.values(), NO_FILTERS, NOW).dueSoon).toHaveLength(1);
    const board = buildBoard(applyReread(tracked, "r1", nowAtRisk).values(), NO_FILTERS, NOW);
    expect(ids(board.atRisk)).toEqual(["r1"]);
    expect(board.dueSoon).toEqual([]);
  });

  it("adds a new one", () => {
    const created = request("r2", running(40), running(100));
    expect(ids(buildBoard(applyReread(tracked, "r2", created).values(), NO_FILTERS, NOW).dueSoon)).toEqual([
      "r2",
      "r1",
    ]);
  });

  it("removes it when resolved, closed, or no longer readable", () => {
    const resolved = request("r1", met, { state: SlaTarget_State.MET, due: 100, fulfilled: 0 }, {
      status: ServiceRequest_Status.RESOLVED,
    });
    expect(applyReread(tracked, "r1", resolved).size).toBe(0);
    expect(applyReread(tracked, "r1", undefined).size).toBe(0);
    // The original is untouched.
    expect(tracked.size).toBe(1);
  });

  it("knows the open statuses and the transition graph", () => {
    expect(isOpen(ServiceRequest_Status.WAITING_ON_THIRD_PARTY)).toBe(true);
    expect(isOpen(ServiceRequest_Status.RESOLVED)).toBe(false);
    expect(nextStatuses(ServiceRequest_Status.RESOLVED)).toEqual([
      ServiceRequest_Status.CLOSED,
      ServiceRequest_Status.IN_PROGRESS,
    ]);
    expect(nextStatuses(ServiceRequest_Status.CANCELLED)).toEqual([]);
  });
});

describe("events → re-reads", () => {
  const event = (resourceType: string, resourceId: string, eventType = "X"): EventRef => ({
    eventType,
    resourceType,
    resourceId,
    accountId: "acct",
  });

  it("re-reads the request any service-request event names", () => {
    for (const type of ["ServiceRequestCreated", "ServiceRequestStatusChanged", "SlaBreached", "SlaEscalated"]) {
      expect(rereadFor(event("service_request", "r1", type), false)).toEqual({ kind: "request", id: "r1" });
    }
  });

  it("lists the board again on a calendar change, and on a team change for team-scoped callers", () => {
    expect(rereadFor(event("business_calendar", "c1", "BusinessCalendarUpdated"), false)).toEqual({ kind: "board" });
    expect(rereadFor(event("business_calendar", "c1", "BusinessCalendarCreated"), false)).toEqual({ kind: "none" });
    expect(rereadFor(event("team_member", "m1"), true)).toEqual({ kind: "board" });
    expect(rereadFor(event("team_member", "m1"), false)).toEqual({ kind: "none" });
  });

  it("refreshes names on account and staff events, and ignores the rest", () => {
    expect(rereadFor(event("account", "a1"), false)).toEqual({ kind: "account", id: "a1" });
    expect(rereadFor(event("staff", "s1"), false)).toEqual({ kind: "staff", id: "s1" });
    expect(rereadFor(event("opportunity", "o1"), false)).toEqual({ kind: "none" });
  });

  it("plans each request once per batch, and a whole listing for a flood", () => {
    const plan = planRereads([event("service_request", "r1"), event("service_request", "r1"), event("account", "a1")], false);
    expect(plan).toEqual({ board: false, requestIds: ["r1"], accountIds: ["a1"], staffIds: [] });
    const flood = Array.from({ length: MAX_REREADS_PER_BATCH + 1 }, (_, n) => event("service_request", `r${n}`));
    expect(planRereads(flood, false)).toMatchObject({ board: true, requestIds: [] });
  });
});

describe("reconnecting", () => {
  const error = (code: Code, more: Partial<KamError> = {}): KamError => ({
    code,
    message: "m",
    reason: "",
    metadata: {},
    fields: [],
    rules: [],
    retryAfterMs: undefined,
    ...more,
  });
  const middle = () => 0.5; // no jitter

  it("backs off 1 s, 2 s, 4 s … up to 30 s", () => {
    expect([0, 1, 2, 3, 4, 5, 6, 10].map((attempt) => backoffDelay(attempt, undefined, middle))).toEqual([
      1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000,
    ]);
  });

  it("spreads retries by ±20 %", () => {
    expect(backoffDelay(2, undefined, () => 0)).toBe(3200);
    expect(backoffDelay(2, undefined, () => 1)).toBe(4800);
  });

  it("waits at least 10 s, or what the server asks, when too many streams are open", () => {
    expect(backoffDelay(0, error(Code.ResourceExhausted), middle)).toBe(10_000);
    expect(backoffDelay(0, error(Code.ResourceExhausted, { retryAfterMs: 20_000 }), middle)).toBe(20_000);
    expect(backoffDelay(5, error(Code.ResourceExhausted), middle)).toBe(30_000);
  });

  it("retries, restarts without the cursor, or stops, by how the stream ended", () => {
    expect(onStreamEnd(undefined)).toBe("retry");
    expect(onStreamEnd(error(Code.Unavailable))).toBe("retry");
    expect(onStreamEnd(error(Code.ResourceExhausted))).toBe("retry");
    expect(onStreamEnd(error(Code.PermissionDenied))).toBe("retry");
    expect(onStreamEnd(error(Code.InvalidArgument))).toBe("restart");
    expect(onStreamEnd(error(Code.FailedPrecondition, { reason: "CURSOR_EXPIRED" }))).toBe("restart");
    expect(onStreamEnd(error(Code.Unauthenticated))).toBe("stop");
  });
});

/** A fake stream: `responses`, then `end` thrown (after `beforeEnd`). */
async function* streamOf(
  responses: StreamResponse[],
  end: Error,
  beforeEnd: () => void = () => undefined,
): AsyncIterable<StreamResponse> {
  for (const response of responses) {
    await Promise.resolve();
    yield response;
  }
  beforeEnd();
  throw end;
}

describe("the live-stream loop", () => {
  const ev = (id: string): EventRef => ({ eventType: "SlaBreached", resourceType: "service_request", resourceId: id, accountId: "" });

  it("resumes from the last cursor with backoff, re-lists only after a fresh start, and stops when signed out", async () => {
    const opened: (string | undefined)[] = [];
    const script: (() => AsyncIterable<StreamResponse>)[] = [
      // Fresh: one empty response, one with an event, then the server shuts down.
      () =>
        streamOf(
          [
            { events: [], cursor: "c1" },
            { events: [ev("r1")], cursor: "c2" },
          ],
          new ConnectError("shutting down", Code.Unavailable),
        ),
      // Too many streams.
      () => streamOf([], new ConnectError("too many", Code.ResourceExhausted)),
      // Resumed: delivers, then the key is revoked.
      () => streamOf([{ events: [ev("r2")], cursor: "c3" }], new ConnectError("revoked", Code.Unauthenticated)),
    ];
    const seen: string[] = [];
    const statuses: LiveStatus["state"][] = [];
    const delays: number[] = [];
    let fresh = 0;
    await runLiveStream({
      open: (cursor) => {
        opened.push(cursor);
        const next = script.shift();
        if (!next) throw new Error("opened too often");
        return next();
      },
      onEvents: (events) => seen.push(...events.map((e) => e.resourceId)),
      onFresh: () => (fresh += 1),
      onStatus: (status) => statuses.push(status.state),
      signal: new AbortController().signal,
      sleep: (ms) => {
        delays.push(ms);
        return Promise.resolve();
      },
      random: () => 0.5,
      now: () => 0,
    });
    expect(opened).toEqual([undefined, "c2", "c2"]);
    expect(seen).toEqual(["r1", "r2"]);
    expect(fresh).toBe(1);
    // 1 s after the first failure; the second is RESOURCE_EXHAUSTED (at least 10 s).
    expect(delays).toEqual([1000, 10_000]);
    expect(statuses).toEqual(["connecting", "live", "reconnecting", "reconnecting", "live", "stopped"]);
  });

  it("stops at once when the page unmounts", async () => {
    const controller = new AbortController();
    let opened = 0;
    await runLiveStream({
      open: () => {
        opened += 1;
        // The page unmounts after the first response; connect then fails the call as cancelled.
        return streamOf([{ events: [], cursor: "c" }], new ConnectError("aborted", Code.Canceled), () =>
          controller.abort(),
        );
      },
      onEvents: () => undefined,
      onFresh: () => undefined,
      onStatus: () => undefined,
      signal: controller.signal,
    });
    expect(opened).toBe(1);
  });
});

describe("BoardSync", () => {
  it("runs reads in order, so a re-read after a listing wins, and drops requests that are gone", async () => {
    const listed = request("r1", running(50), running(100));
    const reread = request("r1", { state: SlaTarget_State.BREACHED, due: -1 }, running(100));
    let release: () => void = () => undefined;
    const listing = new Promise<void>((resolve) => (release = resolve));
    const changes: string[][] = [];
    const sync = new BoardSync(
      {
        list: async () => {
          await listing;
          return [[listed, request("r2", running(10), running(20))]];
        },
        get: (id) =>
          id === "r1" ? Promise.resolve(reread) : Promise.reject(new ConnectError("gone", Code.NotFound)),
        onChange: (tracked) =>
          changes.push([...tracked.values()].map((r) => `${r.id}:${r.firstResponse?.state ?? 0}`)),
        onError: () => undefined,
      },
      new AbortController().signal,
    );
    sync.relist();
    // Events arrive while the listing is on its way: their re-reads run after it.
    sync.reread(["r1", "r2"]);
    release();
    await sync.idle();
    expect(changes).toEqual([
      [`r1:${SlaTarget_State.IN_PROGRESS}`, `r2:${SlaTarget_State.IN_PROGRESS}`],
      [`r1:${SlaTarget_State.BREACHED}`],
    ]);
  });

  it("skips re-reads while a listing waits to run", async () => {
    let gets = 0;
    const sync = new BoardSync(
      {
        list: () => Promise.resolve([]),
        get: () => {
          gets += 1;
          return Promise.resolve(request("r", running(1), running(2)));
        },
        onChange: () => undefined,
        onError: () => undefined,
      },
      new AbortController().signal,
    );
    sync.relist();
    sync.relist(); // queued behind the running one
    sync.reread(["r"]);
    await sync.idle();
    expect(gets).toBe(0);
  });
});
