/**
 * The names (and tier and region) of the accounts on the board, looked up one account at a time with
 * GetAccount, only for the accounts the loaded cards name. Listing every account does not scale (our
 * users have tens of thousands), while a board page names at most a few hundred. Each account is asked
 * for once and remembered across pages, pipelines and filters; at most `limit` lookups run at a time.
 * No DOM here, so the Vitest suite drives it with a fake lookup.
 */
import type { AccountFacts } from "./model";

/** What the board knows about an account: looking it up, found, or refused by the server. */
export type AccountLookup =
  | { status: "loading" }
  | { status: "found"; name: string; facts: AccountFacts }
  | { status: "refused" };

export interface FoundAccount {
  id: string;
  name: string;
  facts: AccountFacts;
}

/** The account ids, in order and each once, that are named and not yet looked up or being looked up. */
export function idsToLookUp(ids: Iterable<string>, asked: ReadonlyMap<string, unknown>): string[] {
  const fresh = new Set<string>();
  for (const id of ids) if (id !== "" && !asked.has(id)) fresh.add(id);
  return [...fresh];
}

/** The facts of the accounts found so far, for the client-side tier and region filters. */
export function factsOf(lookups: ReadonlyMap<string, AccountLookup>): Map<string, AccountFacts> {
  const facts = new Map<string, AccountFacts>();
  for (const [id, lookup] of lookups) if (lookup.status === "found") facts.set(id, lookup.facts);
  return facts;
}

/** Runs tasks with at most `limit` of them in flight; the rest wait their turn in order. */
export function taskQueue(limit: number): (task: () => Promise<void>) => void {
  const waiting: (() => Promise<void>)[] = [];
  let running = 0;
  const pump = () => {
    while (running < limit && waiting.length > 0) {
      const task = waiting.shift() as () => Promise<void>;
      running += 1;
      void task()
        .catch(() => undefined)
        .finally(() => {
          running -= 1;
          pump();
        });
    }
  };
  return (task) => {
    waiting.push(task);
    pump();
  };
}

/**
 * The lookups of one signed-in caller (what GetAccount answers depends on who asks). Shaped for
 * React's useSyncExternalStore: `snapshot()` is a new Map after every change and the same Map otherwise.
 */
export class AccountNames {
  private lookups: ReadonlyMap<string, AccountLookup> = new Map();
  private readonly listeners = new Set<() => void>();
  private readonly enqueue: (task: () => Promise<void>) => void;
  private readonly lookUp: (id: string) => Promise<FoundAccount>;

  constructor(lookUp: (id: string) => Promise<FoundAccount>, limit = 8) {
    this.lookUp = lookUp;
    this.enqueue = taskQueue(limit);
  }

  snapshot = (): ReadonlyMap<string, AccountLookup> => this.lookups;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** Looks up the accounts among `ids` not asked for before. */
  request(ids: Iterable<string>): void {
    const fresh = idsToLookUp(ids, this.lookups);
    if (fresh.length === 0) return;
    this.update(fresh.map((id) => [id, { status: "loading" }]));
    for (const id of fresh) {
      this.enqueue(() =>
        this.lookUp(id).then(
          (account) => this.update([[id, { status: "found", name: account.name, facts: account.facts }]]),
          () => this.update([[id, { status: "refused" }]]),
        ),
      );
    }
  }

  /** Accounts the caller already holds (e.g. from a search), so they need no lookup. */
  remember(accounts: readonly FoundAccount[]): void {
    this.update(accounts.map((account) => [account.id, { status: "found", name: account.name, facts: account.facts }]));
  }

  private update(entries: [string, AccountLookup][]): void {
    if (entries.length === 0) return;
    this.lookups = new Map([...this.lookups, ...entries]);
    for (const listener of this.listeners) listener();
  }
}
