/**
 * The live stream behind the board: IntegrationService.WatchEvents, opened again with a backoff when
 * it ends (a server shutdown ends it with UNAVAILABLE; too many open streams answer
 * RESOURCE_EXHAUSTED), resuming from the last cursor so no event is missed or seen twice. It stops
 * when `signal` aborts (the page unmounts) or the credential is no longer valid.
 *
 * No DOM and no client here: `open` is the call, so the loop can be tested with a fake stream.
 */
import { describeError, type KamError } from "@kam/client";
import { backoffDelay, onStreamEnd, type EventRef, type LiveStatus } from "./model";

/** One response of the stream, as far as the loop needs it. */
export interface StreamResponse {
  events: readonly EventRef[];
  cursor: string;
}

export interface LiveStreamOptions {
  /** Opens the stream after `cursor` (undefined: from now on). */
  open: (cursor: string | undefined, signal: AbortSignal) => AsyncIterable<StreamResponse>;
  /** The events of one response (never empty). */
  onEvents: (events: readonly EventRef[]) => void;
  /**
   * A stream opened without a cursor delivered its first response: whatever changed before it was not
   * seen, so the board is listed again.
   */
  onFresh: () => void;
  onStatus: (status: LiveStatus) => void;
  signal: AbortSignal;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  random?: () => number;
  now?: () => number;
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}

/** Runs until `signal` aborts or the stream must stop; never throws. */
export async function runLiveStream(options: LiveStreamOptions): Promise<void> {
  const { open, onEvents, onFresh, onStatus, signal } = options;
  const sleep = options.sleep ?? abortableSleep;
  const now = options.now ?? Date.now;
  let cursor: string | undefined;
  // Failures in a row; a delivered response starts the count over.
  let attempt = 0;
  onStatus({ state: "connecting" });
  while (!signal.aborted) {
    let error: KamError | undefined;
    let fresh = cursor === undefined;
    try {
      for await (const response of open(cursor, signal)) {
        if (signal.aborted) return;
        if (attempt > 0 || fresh) onStatus({ state: "live" });
        attempt = 0;
        if (fresh) {
          fresh = false;
          onFresh();
        }
        if (response.events.length > 0) onEvents(response.events);
        if (response.cursor !== "") cursor = response.cursor;
      }
    } catch (thrown) {
      if (signal.aborted) return;
      error = describeError(thrown);
    }
    if (signal.aborted) return;
    const action = onStreamEnd(error);
    if (action === "stop") {
      onStatus(error ? { state: "stopped", error } : { state: "stopped" });
      return;
    }
    if (action === "restart") cursor = undefined;
    const delay = backoffDelay(attempt, error, options.random);
    attempt += 1;
    onStatus(error ? { state: "reconnecting", retryAt: now() + delay, error } : { state: "reconnecting", retryAt: now() + delay });
    await sleep(delay, signal);
  }
}
