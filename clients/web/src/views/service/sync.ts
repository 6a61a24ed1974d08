/**
 * Keeps the board's requests current: lists the board, and re-reads the requests events name. The
 * reads run one job at a time, in the order they were asked for, so an older answer never overwrites
 * a newer one: a listing reflects everything before it started, and every event after its start
 * queues a re-read that runs after it. A queued listing makes queued re-reads redundant.
 */
import { Code, describeError, type KamError, type ServiceRequest } from "@kam/client";
import { applyReread, trackAll, type Tracked } from "./model";

export interface BoardSyncIo {
  /** The board's lists (due soon, at risk, breached) under the current filters. */
  list: (signal: AbortSignal) => Promise<ServiceRequest[][]>;
  get: (id: string, signal: AbortSignal) => Promise<ServiceRequest>;
  onChange: (tracked: Tracked) => void;
  /** The last listing's failure, or undefined once one succeeds. */
  onError: (error: KamError | undefined) => void;
}

type Job = { kind: "list" } | { kind: "reread"; ids: string[] };

/** A request the caller can no longer read is gone from its point of view. */
function isGone(error: KamError): boolean {
  return error.code === Code.NotFound || error.code === Code.PermissionDenied;
}

export class BoardSync {
  private tracked: Tracked = new Map();
  private queue: Job[] = [];
  private running = false;

  constructor(
    private readonly io: BoardSyncIo,
    private readonly signal: AbortSignal,
  ) {}

  /** Lists the board again; supersedes whatever is still waiting. */
  relist(): void {
    this.queue = [{ kind: "list" }];
    void this.pump();
  }

  /** Reads these requests again (unless a listing is waiting, which will read them anyway). */
  reread(ids: readonly string[]): void {
    if (ids.length === 0 || this.queue.some((job) => job.kind === "list")) return;
    this.queue.push({ kind: "reread", ids: [...ids] });
    void this.pump();
  }

  /** Resolves once nothing is queued or running (for tests). */
  async idle(): Promise<void> {
    while (this.running || this.queue.length > 0) {
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  }

  private async pump(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (let job = this.queue.shift(); job && !this.signal.aborted; job = this.queue.shift()) {
        await this.run(job);
      }
    } finally {
      this.running = false;
    }
  }

  private async run(job: Job): Promise<void> {
    if (job.kind === "list") {
      try {
        const lists = await this.io.list(this.signal);
        if (this.signal.aborted) return;
        this.tracked = trackAll(lists);
        this.io.onError(undefined);
        this.io.onChange(this.tracked);
      } catch (thrown) {
        if (!this.signal.aborted) this.io.onError(describeError(thrown));
      }
      return;
    }
    const unique = [...new Set(job.ids)];
    const answers = await Promise.all(
      unique.map(async (id) => {
        try {
          return { id, request: await this.io.get(id, this.signal) };
        } catch (thrown) {
          const error = describeError(thrown);
          // Gone: drop it. Anything else (the network): keep what is shown; the next event or
          // listing corrects it.
          return isGone(error) ? { id, request: undefined } : undefined;
        }
      }),
    );
    if (this.signal.aborted) return;
    let tracked = this.tracked;
    for (const answer of answers) {
      if (answer) tracked = applyReread(tracked, answer.id, answer.request);
    }
    this.tracked = tracked;
    this.io.onChange(tracked);
  }
}
