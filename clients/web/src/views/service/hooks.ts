/** The React side of the service views: the ticking clock, the live stream, and names for ids. */
import { Code, describeError, WatchEventsRequest_Start, type Staff } from "@kam/client";
import { useCallback, useEffect, useLayoutEffect, useRef, useState } from "react";
import { useApi } from "../../app/session";
import { runLiveStream, type StreamResponse } from "./live";
import type { EventRef, LiveStatus } from "./model";

/** The current time, moving on every `intervalMs` (the clocks on the cards tick client-side). */
export function useNow(intervalMs: number): Date {
  const [now, setNow] = useState(() => new Date());
  useEffect(() => {
    const timer = setInterval(() => setNow(new Date()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}

/**
 * Follows WatchEvents for as long as the component is mounted (the stream is aborted on unmount),
 * reconnecting with backoff. Only an event's type, resource and account are passed on: the payload's
 * format is not to be relied on.
 */
export function useLiveEvents(
  resourceTypes: readonly string[],
  handlers: { onEvents: (events: readonly EventRef[]) => void; onFresh: () => void },
): LiveStatus {
  const api = useApi();
  const [status, setStatus] = useState<LiveStatus>({ state: "connecting" });
  const handlersRef = useRef(handlers);
  useLayoutEffect(() => {
    handlersRef.current = handlers;
  });
  const resourceKey = resourceTypes.join(",");

  useEffect(() => {
    const controller = new AbortController();
    const resources = resourceKey.split(",").filter((type) => type !== "");
    async function* open(cursor: string | undefined, signal: AbortSignal): AsyncIterable<StreamResponse> {
      const stream = api.integration.watchEvents(
        cursor === undefined ? { start: WatchEventsRequest_Start.NOW, resourceTypes: resources } : { cursor, resourceTypes: resources },
        { signal },
      );
      for await (const response of stream) {
        yield {
          cursor: response.cursor,
          events: response.events.map(({ eventType, resourceType, resourceId, accountId }) => ({
            eventType,
            resourceType,
            resourceId,
            accountId,
          })),
        };
      }
    }
    void runLiveStream({
      open,
      onEvents: (events) => handlersRef.current.onEvents(events),
      onFresh: () => handlersRef.current.onFresh(),
      onStatus: setStatus,
      signal: controller.signal,
    });
    return () => controller.abort();
  }, [api, resourceKey]);

  return status;
}

/** Staff and account names for the ids the views show; an id that cannot be read is shown as is. */
export interface Directory {
  /** Active staff, by name (for the assignee filter). */
  activeStaff: Staff[];
  staffName: (id: string) => string;
  accountName: (id: string) => string;
  /** Reads these accounts' names again (an account event), if they are shown. */
  refreshAccounts: (ids: readonly string[]) => void;
  /** Reads the staff directory again (a staff event). */
  refreshStaff: () => void;
}

/** Names for `accountIds`: one GetAccount per distinct account, kept; the staff directory in one list. */
export function useDirectory(accountIds: readonly string[]): Directory {
  const api = useApi();
  const [staff, setStaff] = useState<Staff[]>([]);
  const [staffGeneration, setStaffGeneration] = useState(0);
  const [accounts, setAccounts] = useState<ReadonlyMap<string, string>>(new Map());
  // Ids asked for (or being asked for), so each is read once until refreshed.
  const requested = useRef(new Set<string>());

  useEffect(() => {
    const controller = new AbortController();
    api.teams.listStaff({ pageSize: 1000, showInactive: true }, { signal: controller.signal }).then(
      (answer) => setStaff(answer.staff),
      () => undefined, // Names are a convenience: without them the ids show.
    );
    return () => controller.abort();
  }, [api, staffGeneration]);

  const readAccounts = useCallback(
    (ids: readonly string[]) => {
      for (const id of ids) {
        requested.current.add(id);
        api.accounts.getAccount({ id }).then(
          (account) => setAccounts((previous) => new Map(previous).set(id, account.displayName)),
          (thrown: unknown) => {
            // A transient failure is tried again next time the id is needed.
            if (describeError(thrown).code === Code.Unavailable) requested.current.delete(id);
          },
        );
      }
    },
    [api],
  );

  const idsKey = [...new Set(accountIds)].sort().join(",");
  useEffect(() => {
    const missing = idsKey.split(",").filter((id) => id !== "" && !requested.current.has(id));
    readAccounts(missing);
  }, [idsKey, readAccounts]);

  const refreshAccounts = useCallback(
    (ids: readonly string[]) => readAccounts(ids.filter((id) => requested.current.has(id))),
    [readAccounts],
  );
  const refreshStaff = useCallback(() => setStaffGeneration((n) => n + 1), []);

  const staffById = new Map(staff.map((person) => [person.id, person.fullName]));
  return {
    activeStaff: staff.filter((person) => person.active).sort((a, b) => a.fullName.localeCompare(b.fullName)),
    staffName: (id) => staffById.get(id) ?? id,
    accountName: (id) => accounts.get(id) ?? id,
    refreshAccounts,
    refreshStaff,
  };
}
