/**
 * Account names for short lists that carry only account ids (overrides, tier changes, a handover's
 * items). Names the view already knows (from a report) are used as they are; the few others are asked
 * for once each, at most `LOOKUP_LIMIT` of them, so a long list never turns into a request per row.
 */
import { useMemo } from "react";
import { useApi } from "../../app/session";
import { useLoad } from "../../api/useLoad";

const LOOKUP_LIMIT = 50;

export function useAccountNames(ids: readonly string[], known: ReadonlyMap<string, string>): ReadonlyMap<string, string> {
  const api = useApi();
  const missing = useMemo(
    () => [...new Set(ids)].filter((id) => id !== "" && !known.has(id)).sort().slice(0, LOOKUP_LIMIT),
    [ids, known],
  );
  const key = missing.join(",");
  const looked = useLoad(
    async (signal) => {
      const found = await Promise.all(
        missing.map((id) =>
          api.accounts.getAccount({ id }, { signal }).then(
            (account) => [id, account.displayName] as const,
            // An account the caller may not see keeps its id; the list still shows.
            () => undefined,
          ),
        ),
      );
      return new Map(found.filter((entry) => entry !== undefined));
    },
    [api, key],
  );
  return useMemo(() => {
    const names = new Map(known);
    for (const [id, name] of looked.data ?? []) names.set(id, name);
    return names;
  }, [known, looked.data]);
}
