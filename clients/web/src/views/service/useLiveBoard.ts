/**
 * The board's requests, kept current: listed when the filters change and every few minutes, re-read
 * one by one as the live stream names them.
 */
import { SlaTarget_State, type KamError, type ServiceRequest } from "@kam/client";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { useEffect, useLayoutEffect, useRef, useState } from "react";
import { useApi } from "../../app/session";
import { useLiveEvents } from "./hooks";
import {
  LOOKAHEAD_MINUTES,
  planRereads,
  RELIST_INTERVAL_MS,
  WATCHED_RESOURCES,
  type BoardFilters,
  type LiveStatus,
  type Tracked,
} from "./model";
import { BoardSync } from "./sync";

/** At most this many requests per column are listed. */
export const COLUMN_LIMIT = 200;

export interface LiveBoard {
  tracked: Tracked;
  /** Whether a listing has arrived yet. */
  loaded: boolean;
  error: KamError | undefined;
  live: LiveStatus;
}

export function useLiveBoard(
  filters: BoardFilters,
  options: {
    /** The caller sees only its teams' accounts (a MEMBER): team changes re-list the board. */
    teamScoped: boolean;
    onAccountsChanged: (ids: readonly string[]) => void;
    onStaffChanged: () => void;
  },
): LiveBoard {
  const api = useApi();
  const [tracked, setTracked] = useState<Tracked>(new Map());
  const [loaded, setLoaded] = useState(false);
  const [error, setError] = useState<KamError | undefined>(undefined);
  const filtersRef = useRef(filters);
  const optionsRef = useRef(options);
  useLayoutEffect(() => {
    filtersRef.current = filters;
    optionsRef.current = options;
  });
  const [sync, setSync] = useState<BoardSync | undefined>(undefined);
  // The stream's handlers read the sync from here: they may run before a render has passed it on.
  const syncRef = useRef<BoardSync | undefined>(undefined);

  // One sync per mount (and client); aborting it drops answers still on their way.
  useEffect(() => {
    const controller = new AbortController();
    const created = new BoardSync(
      {
        list: (signal) => listBoard(api, filtersRef.current, signal),
        get: (id, signal) => api.serviceLevels.getServiceRequest({ id }, { signal }),
        onChange: (next) => {
          setTracked(next);
          setLoaded(true);
        },
        onError: setError,
      },
      controller.signal,
    );
    syncRef.current = created;
    setSync(created);
    const timer = setInterval(() => created.relist(), RELIST_INTERVAL_MS);
    return () => {
      clearInterval(timer);
      controller.abort();
    };
  }, [api]);

  const { assigneeStaffId, priority, withinMinutes } = filters;
  useEffect(() => {
    sync?.relist();
  }, [sync, assigneeStaffId, priority, withinMinutes]);

  const live = useLiveEvents(WATCHED_RESOURCES, {
    onEvents: (events) => {
      const plan = planRereads(events, optionsRef.current.teamScoped);
      if (plan.board) syncRef.current?.relist();
      else syncRef.current?.reread(plan.requestIds);
      if (plan.accountIds.length > 0) optionsRef.current.onAccountsChanged(plan.accountIds);
      if (plan.staffIds.length > 0) optionsRef.current.onStaffChanged();
    },
    // Events before the stream started were not seen: list again (the first listing may predate it).
    onFresh: () => syncRef.current?.relist(),
  });

  return { tracked, loaded, error, live };
}

/**
 * The three lists `kamctl sla board` reads, each filtered by the server on its due-time indexes:
 * in progress and due within the window (plus a lookahead, so requests coming into the window as time
 * passes are on hand), at risk, breached.
 */
async function listBoard(
  api: ReturnType<typeof useApi>,
  filters: BoardFilters,
  signal: AbortSignal,
): Promise<ServiceRequest[][]> {
  const base = {
    pageSize: COLUMN_LIMIT,
    openOnly: true,
    assigneeStaffId: filters.assigneeStaffId,
    priority: filters.priority,
    orderBy: "resolution_due_time",
  };
  const horizon = new Date(Date.now() + (filters.withinMinutes + LOOKAHEAD_MINUTES) * 60_000);
  const answers = await Promise.all([
    api.serviceLevels.listServiceRequests(
      { ...base, slaState: SlaTarget_State.IN_PROGRESS, dueBefore: timestampFromDate(horizon) },
      { signal },
    ),
    api.serviceLevels.listServiceRequests({ ...base, slaState: SlaTarget_State.AT_RISK }, { signal }),
    api.serviceLevels.listServiceRequests({ ...base, slaState: SlaTarget_State.BREACHED }, { signal }),
  ]);
  return answers.map((answer) => answer.serviceRequests);
}
