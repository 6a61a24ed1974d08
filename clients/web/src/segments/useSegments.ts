/**
 * The industries and regions, read once per signed-in session (they are reference data, small and
 * rarely changed) and shared by every picker. A page that changes them calls `refreshSegments`.
 */
import type { Industry, Region } from "@kam/client";
import { useLoad, type Loaded } from "../api/useLoad";
import type { Api } from "../api/clients";
import { useApi } from "../app/session";

const PAGE_SIZE = 500;
/** At most this many pages (a tree far larger than any company's is cut, not loaded without bound). */
const MAX_PAGES = 20;

export interface SegmentTrees {
  industries: Industry[];
  regions: Region[];
}

const cache = new WeakMap<Api, Promise<SegmentTrees>>();

async function readAll<T>(page: (token: string) => Promise<{ items: T[]; next: string }>): Promise<T[]> {
  const items: T[] = [];
  let token = "";
  for (let n = 0; n < MAX_PAGES; n += 1) {
    const { items: more, next } = await page(token);
    items.push(...more);
    if (next === "") break;
    token = next;
  }
  return items;
}

function loadTrees(api: Api): Promise<SegmentTrees> {
  let pending = cache.get(api);
  if (!pending) {
    pending = Promise.all([
      readAll(async (pageToken) => {
        const response = await api.segments.listIndustries({ pageSize: PAGE_SIZE, pageToken });
        return { items: response.industries, next: response.nextPageToken };
      }),
      readAll(async (pageToken) => {
        const response = await api.segments.listRegions({ pageSize: PAGE_SIZE, pageToken });
        return { items: response.regions, next: response.nextPageToken };
      }),
    ]).then(([industries, regions]) => ({ industries, regions }));
    // A failure is not kept: the next picker asks again.
    pending.catch(() => cache.delete(api));
    cache.set(api, pending);
  }
  return pending;
}

/** Forgets the trees read, so the next picker reads them again. */
export function refreshSegments(api: Api): void {
  cache.delete(api);
}

export function useSegments(): Loaded<SegmentTrees> {
  const api = useApi();
  return useLoad(() => loadTrees(api), [api]);
}
