/**
 * Staff names for the ids the sections show (owners, participants). One ListStaff per session, shared
 * by every section, instead of one GetStaff per row; an id the list lacks shows as itself.
 */
import type { Api } from "../../../api/clients";
import { useLoad } from "../../../api/useLoad";

const cache = new WeakMap<Api, Promise<Map<string, string>>>();

async function loadStaffNames(api: Api): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  let pageToken = "";
  // Bounded: a deployment's staff fits in a few pages.
  for (let page = 0; page < 10; page++) {
    const answer = await api.teams.listStaff({ pageSize: 500, pageToken, showInactive: true });
    for (const staff of answer.staff) names.set(staff.id, staff.fullName);
    pageToken = answer.nextPageToken;
    if (pageToken === "") break;
  }
  return names;
}

export function staffNames(api: Api): Promise<Map<string, string>> {
  let names = cache.get(api);
  if (!names) {
    names = loadStaffNames(api);
    // A failure is not kept: the next section to ask tries again.
    names.catch(() => cache.delete(api));
    cache.set(api, names);
  }
  return names;
}

/** The names, once loaded; until then (or if staff cannot be read) an empty map. */
export function useStaffNames(api: Api): Map<string, string> {
  const { data } = useLoad(() => staffNames(api), [api]);
  return data ?? EMPTY;
}

const EMPTY = new Map<string, string>();

export function nameOf(names: Map<string, string>, id: string): string {
  return names.get(id) ?? id;
}
