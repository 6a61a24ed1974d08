/**
 * The portfolio figures of the list, read once for every account the caller may see (not per row):
 * health scores (ListAtRiskAccounts with max_score 101 lists every account), open requests at risk
 * or breached (ListServiceRequests filtered by SLA state), overdue cadence (ListOverdueCadence) and
 * the next key dates (ListUpcomingKeyDates). Each report fills in as its pages arrive; the list joins
 * them onto its rows by account id.
 */
import { SlaTarget_State, type ServiceRequest } from "@kam/client";
import { useEffect, useState } from "react";
import type { Api } from "../../api/clients";
import {
  cadenceByAccount,
  collectPages,
  emptyReport,
  healthByAccount,
  nextKeyDateByAccount,
  slaByAccount,
  type PortfolioReports,
} from "./model";

/** The most a report page holds (the server clamps page_size to 1000). */
const REPORT_PAGE = 1000;
/** Enough pages for 20 000 accounts; beyond, figures stay unknown rather than loading without end. */
const MAX_REPORT_PAGES = 20;
/** The key-date window shown in the list. */
export const KEY_DATE_DAYS = 90;

export interface PortfolioState {
  reports: PortfolioReports;
  /** Reports still on their way. */
  pending: number;
  /** Reports that failed (their figures stay unknown). */
  failed: number;
}

const INITIAL: PortfolioState = {
  reports: { health: emptyReport(), sla: emptyReport(), cadence: emptyReport(), keyDates: emptyReport() },
  pending: 4,
  failed: 0,
};

export function usePortfolioReports(api: Api): PortfolioState {
  const [state, setState] = useState<PortfolioState>(INITIAL);

  useEffect(() => {
    const abort = new AbortController();
    const { signal } = abort;
    const set = <K extends keyof PortfolioReports>(key: K, report: PortfolioReports[K]) => {
      if (!signal.aborted) setState((previous) => ({ ...previous, reports: { ...previous.reports, [key]: report } }));
    };
    const track = (work: Promise<unknown>) => {
      const settle = (failed: number) => {
        if (signal.aborted) return;
        setState((previous) => ({ ...previous, pending: previous.pending - 1, failed: previous.failed + failed }));
      };
      work.then(
        () => settle(0),
        () => settle(1),
      );
    };

    track(
      collectPages(
        async (pageToken) => {
          const page = await api.planning.listAtRiskAccounts(
            { maxScore: 101, pageSize: REPORT_PAGE, pageToken },
            { signal },
          );
          return { items: page.accounts, next: page.nextPageToken };
        },
        MAX_REPORT_PAGES,
        // Scores arrive lowest first: show each page as it comes.
        (items) => set("health", { byAccount: healthByAccount(items), complete: false }),
      ).then(({ items, complete }) => set("health", { byAccount: healthByAccount(items), complete })),
    );

    const openRequestsIn = (slaState: SlaTarget_State) =>
      collectPages<ServiceRequest>(async (pageToken) => {
        const page = await api.serviceLevels.listServiceRequests(
          { openOnly: true, slaState, pageSize: REPORT_PAGE, pageToken },
          { signal },
        );
        return { items: page.serviceRequests, next: page.nextPageToken };
      }, MAX_REPORT_PAGES);
    track(
      Promise.all([openRequestsIn(SlaTarget_State.AT_RISK), openRequestsIn(SlaTarget_State.BREACHED)]).then(
        ([atRisk, breached]) =>
          set("sla", {
            byAccount: slaByAccount(atRisk.items, breached.items),
            complete: atRisk.complete && breached.complete,
          }),
      ),
    );

    track(
      collectPages(async (pageToken) => {
        const page = await api.planning.listOverdueCadence({ pageSize: REPORT_PAGE, pageToken }, { signal });
        return { items: page.overdue, next: page.nextPageToken };
      }, MAX_REPORT_PAGES).then(({ items, complete }) =>
        set("cadence", { byAccount: cadenceByAccount(items), complete }),
      ),
    );

    track(
      api.planning
        .listUpcomingKeyDates({ days: KEY_DATE_DAYS }, { signal })
        .then((answer) =>
          set("keyDates", { byAccount: nextKeyDateByAccount(answer.keyDates), complete: !answer.truncated }),
        ),
    );

    return () => abort.abort();
  }, [api]);

  return state;
}

