/**
 * Offline sync for mobile and desktop apps: a local SQLite copy of the resources the caller may see,
 * kept current through the change feed (`ListChanges`, tombstones included), writes made offline
 * queued and replayed exactly once, stale updates surfaced as conflicts the app resolves, and
 * `WatchEvents` waking a sync while online. See the README's "Offline sync" for the whole story.
 *
 * ```ts
 * const kam = createKamSync({ db: adapter, transport });
 * await kam.sync();                                  // replay the queue, then pull
 * kam.store.list("contacts", { accountId });         // read, offline too
 * kam.queue.update(AccountService.method.updateContact, {
 *   contact: { id, title: "CTO" },
 *   updateMask: { paths: ["title"] },
 * });
 * const watching = new AbortController();
 * void kam.watch({ signal: watching.signal });       // live while online
 * ```
 *
 * Nothing here imports a Node module: the SQLite driver comes in through `SqlAdapter`
 * (`./better-sqlite3.ts` for Node, a few lines over expo-sqlite in React Native).
 */
import type { Transport } from "@connectrpc/connect";

import type { SqlAdapter } from "./adapter.js";
import { Conflicts } from "./conflicts.js";
import { type QueueOptions, type ReplayReport, WriteQueue } from "./queue.js";
import { type PullReport, Replica, type ReplicaOptions } from "./replica.js";
import { migrate } from "./schema.js";
import { LocalStore } from "./store.js";
import { type WatchOptions, watchChanges } from "./watch.js";

export type { SqlAdapter, SqlRow, SqlValue } from "./adapter.js";
export type { Conflict, FieldConflict } from "./conflicts.js";
export { Conflicts } from "./conflicts.js";
export type { WriteKind } from "./methods.js";
export type { WriteState } from "./pending.js";
export type { QueueOptions, QueuedWrite, ReplayReport } from "./queue.js";
export { WriteQueue } from "./queue.js";
export type { PullReport, PullResult, ReplicaOptions } from "./replica.js";
export { Replica } from "./replica.js";
export type { ResourceName, ResourceOf } from "./resources.js";
export { RESOURCE_NAMES } from "./resources.js";
export type { ChangeListener, ListOptions, LocalEntry, PendingMark, ReadOptions } from "./store.js";
export { LocalStore } from "./store.js";
export type { WatchOptions } from "./watch.js";
export { watchChanges } from "./watch.js";

export interface KamSyncOptions extends ReplicaOptions, QueueOptions {
  /** The local database (one per signed-in user: what it holds is what that user may see). */
  db: SqlAdapter;
  /** How to reach the server, e.g. `kamTransport({ baseUrl, credential })`. */
  transport: Transport;
}

/** What `sync` did: the replay, then the pull (absent when the replay stopped offline). */
export interface SyncReport {
  replay: ReplayReport;
  pull: PullReport | undefined;
}

/** The sync module assembled over one local database. */
export interface KamSync {
  /** Reads for the app. */
  readonly store: LocalStore;
  /** Writes made offline. */
  readonly queue: WriteQueue;
  /** Queued writes the server refused as stale, to resolve. */
  readonly conflicts: Conflicts;
  /** The pull through ListChanges. */
  readonly replica: Replica;
  /** Replays the queue, then pulls (so the pull brings the server's answer to the app's own writes). */
  sync(): Promise<SyncReport>;
  /** Runs `sync` on each burst of WatchEvents and on each (re)connection, until the signal fires. */
  watch(options: Omit<WatchOptions, "onChange"> & Partial<Pick<WatchOptions, "onChange">>): Promise<void>;
}

/** Opens the sync module over `db` (creating or updating its tables). */
export function createKamSync(options: KamSyncOptions): KamSync {
  const { db, transport } = options;
  migrate(db);
  const store = new LocalStore(db);
  const queue = new WriteQueue(db, store, transport, options);
  const replica = new Replica(db, store, transport, options);
  const conflicts = new Conflicts(db, store);
  const sync = async (): Promise<SyncReport> => {
    const replay = await queue.replay();
    // Offline: a pull would fail the same way; the queue keeps the writes for the next time.
    const pull = replay.stoppedBy === undefined ? await replica.pull() : undefined;
    return { replay, pull };
  };
  return {
    store,
    queue,
    conflicts,
    replica,
    sync,
    watch: (watchOptions) => watchChanges(transport, { onChange: sync, ...watchOptions }),
  };
}
