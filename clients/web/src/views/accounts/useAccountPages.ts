/**
 * The accounts matching the server filters, one ListAccounts page (of PAGE_SIZE) at a time: the first
 * page when the filters change, the next on `loadMore`. A large portfolio is never loaded whole.
 */
import { describeError, type Account, type KamError } from "@kam/client";
import { useCallback, useEffect, useRef, useState } from "react";
import type { Api } from "../../api/clients";
import { listRequest, type AccountFilters } from "./model";

interface Pages {
  accounts: Account[];
  nextToken: string;
  loading: boolean;
  error: KamError | undefined;
}

export function useAccountPages(api: Api, filters: AccountFilters) {
  const [pages, setPages] = useState<Pages>({ accounts: [], nextToken: "", loading: true, error: undefined });
  // Every load carries the filters' generation: an answer for older filters is dropped.
  const generation = useRef(0);
  const controller = useRef<AbortController | undefined>(undefined);
  const filtersRef = useRef(filters);

  const load = useCallback(
    (pageToken: string, replace: boolean) => {
      const mine = generation.current;
      controller.current?.abort();
      const abort = new AbortController();
      controller.current = abort;
      setPages((previous) => ({ ...previous, loading: true, error: undefined }));
      api.accounts.listAccounts(listRequest(filtersRef.current, pageToken), { signal: abort.signal }).then(
        (response) => {
          if (mine !== generation.current) return;
          setPages((previous) => ({
            accounts: replace ? response.accounts : [...previous.accounts, ...response.accounts],
            nextToken: response.nextPageToken,
            loading: false,
            error: undefined,
          }));
        },
        (thrown: unknown) => {
          if (mine !== generation.current || abort.signal.aborted) return;
          setPages((previous) => ({ ...previous, loading: false, error: describeError(thrown) }));
        },
      );
    },
    [api],
  );

  // Other filters start a new listing.
  const { query, tier, region, industry, industryCode, regionCode, lifecycle, orderBy } = filters;
  useEffect(() => {
    filtersRef.current = { ...filtersRef.current, query, tier, region, industry, industryCode, regionCode, lifecycle, orderBy };
    generation.current += 1;
    // Marks the list as loading while the first page for the new filters is on its way.
    // eslint-disable-next-line react-hooks/set-state-in-effect
    load("", true);
    return () => controller.current?.abort();
  }, [load, query, tier, region, industry, industryCode, regionCode, lifecycle, orderBy]);

  const loadMore = useCallback(() => {
    if (pages.nextToken !== "" && !pages.loading) load(pages.nextToken, false);
  }, [load, pages.nextToken, pages.loading]);

  return { ...pages, hasMore: pages.nextToken !== "", loadMore };
}
