/**
 * Live updates while online: a `WatchEvents` stream whose events only say "something changed", each
 * burst of them starting one sync (debounced), so the local store follows the server within moments
 * without polling. The events themselves are not applied: the change feed (`ListChanges`) is what
 * keeps the store exact, the stream only says when to ask it. A MEMBER's stream carries the events of
 * its teams' accounts, so a phone wakes for what it may hold.
 *
 * Each time the stream (re)connects it syncs once too: what changed while it was away is caught up at
 * once. It reconnects after a failure with a growing delay (0.5 s doubling up to 30 s), resuming after
 * the last event it received, and stops when its AbortSignal fires: the stream closes, a sync waiting
 * for its turn is dropped, and the returned promise resolves once a sync under way has finished.
 */
import { type Client, Code, type Transport, createClient } from "@connectrpc/connect";

import { type KamError, describeError } from "../errors.js";
import { IntegrationService, WatchEventsRequest_Start } from "../gen/kam/v1/integration_pb.js";

export interface WatchOptions {
  /** Stops watching. */
  signal: AbortSignal;
  /** The sync to run after events (e.g. `KamSync.sync`: replay the queue, then pull). */
  onChange: () => Promise<unknown>;
  /** How long to gather a burst of events into one sync, in milliseconds; 250 by default. */
  debounceMs?: number;
  /** Told of each failure, of the stream or of a sync, for the app's status line or logs. */
  onError?: (error: KamError) => void;
  /** Only events of these resource types ("contact", "plan_action", ...); every type when empty. */
  resourceTypes?: readonly string[];
}

const FIRST_RETRY_MS = 500;
const LAST_RETRY_MS = 30_000;

/** Watches until `signal` fires; resolves then, once a sync under way has finished. */
export async function watchChanges(transport: Transport, options: WatchOptions): Promise<void> {
  const { signal, onError = () => {} } = options;
  const client: Client<typeof IntegrationService> = createClient(IntegrationService, transport);
  const sync = new Debounced(options.onChange, options.debounceMs ?? 250, onError);
  let cursor = "";
  let retryMs = FIRST_RETRY_MS;
  while (!signal.aborted) {
    let connected = false;
    try {
      const stream = client.watchEvents(
        {
          cursor,
          start: WatchEventsRequest_Start.NOW,
          resourceTypes: [...(options.resourceTypes ?? [])],
        },
        { signal },
      );
      for await (const response of stream) {
        retryMs = FIRST_RETRY_MS;
        cursor = response.cursor === "" ? cursor : response.cursor;
        // The first response says the stream is open: sync what changed while it was not.
        if (!connected || response.events.length > 0) {
          sync.trigger();
        }
        connected = true;
      }
    } catch (thrown) {
      if (signal.aborted) {
        break;
      }
      const error = describeError(thrown);
      if (error.reason === "CURSOR_EXPIRED") {
        // Away longer than events are kept: start from now; the sync on reconnecting covers the gap.
        cursor = "";
      }
      if (error.code === Code.PermissionDenied && connected) {
        // The caller's roles changed while it watched: open it again at once to see what the new ones
        // allow (refused at the opening, it waits like any failure).
        retryMs = 0;
      }
      onError(error);
    }
    await sleep(retryMs, signal);
    retryMs = Math.min(Math.max(retryMs * 2, FIRST_RETRY_MS), LAST_RETRY_MS);
  }
  await sync.stop();
}

/** Runs `run` once per burst of triggers, never twice at once, and once more if triggered meanwhile. */
class Debounced {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(
    private readonly run: () => Promise<unknown>,
    private readonly delayMs: number,
    private readonly onError: (error: KamError) => void,
  ) {}

  trigger(): void {
    if (this.stopped || this.timer !== undefined) {
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.fire();
    }, this.delayMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private fire(): void {
    if (this.running !== undefined) {
      this.again = true;
      return;
    }
    this.running = this.run()
      .then(
        () => undefined,
        (error: unknown) => this.onError(describeError(error)),
      )
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.trigger();
        }
      });
  }
}

/** Waits `ms`, or less when `signal` fires. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted || ms <= 0) {
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
