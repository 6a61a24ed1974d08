/** The latest tier changes of the visible accounts, newest first, with a page more on request. */
import type { TierChange } from "@kam/client";
import { useState } from "react";
import { Link } from "../../app/router";
import { useApi } from "../../app/session";
import { useLoad } from "../../api/useLoad";
import { formatTime } from "../../format/time";
import { useLocale, useMessages } from "../../i18n/i18n";
import { ErrorNotice } from "../../ui/ErrorNotice";
import { useAccountNames } from "../teams/useAccountNames";
import { messages, reasonLabel } from "./messages";
import { TierBadge } from "./TierBadge";

const PAGE_SIZE = 20;

export function TierChanges({ knownNames, version }: { knownNames: ReadonlyMap<string, string>; version: number }) {
  const t = useMessages(messages);
  const { locale } = useLocale();
  const api = useApi();
  // How many pages are shown: loading more asks for a larger first page rather than chaining tokens,
  // so a reload after a change shows the newest entries on top.
  const [pages, setPages] = useState(1);
  const changes = useLoad(
    (signal) => api.planning.listTierChanges({ pageSize: PAGE_SIZE * pages }, { signal }),
    [api, pages, version],
  );
  const list = changes.data?.tierChanges ?? [];
  const names = useAccountNames(
    list.map((change) => change.accountId),
    knownNames,
  );

  return (
    <section className="card" aria-labelledby="changes-title">
      <h2 id="changes-title">{t.changesTitle}</h2>
      <ErrorNotice error={changes.error} />
      {list.length === 0 && !changes.loading ? (
        <p className="muted">{t.noChanges}</p>
      ) : (
        <div className="tiers-scroll">
          <table data-testid="tier-changes-table">
            <thead>
              <tr>
                <th scope="col">{t.when}</th>
                <th scope="col">{t.account}</th>
                <th scope="col">{t.change}</th>
                <th scope="col">{t.source}</th>
                <th scope="col">{t.reason}</th>
              </tr>
            </thead>
            <tbody>
              {list.map((change) => (
                <tr key={change.id}>
                  <td>{formatTime(change.changeTime, locale)}</td>
                  <td>
                    <Link to={{ page: "account", id: change.accountId }}>
                      {names.get(change.accountId) ?? change.accountId}
                    </Link>
                  </td>
                  <td>
                    <TierBadge tier={change.oldTier} /> → <TierBadge tier={change.newTier} />
                  </td>
                  <td>{sourceLabel(change, t.sourceRanking, t.sourceOverride)}</td>
                  <td>
                    {reasonLabel(locale, change.reason)}
                    {change.note && <span className="muted"> — {change.note}</span>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {changes.data?.nextPageToken && (
        <button type="button" className="secondary" disabled={changes.loading} onClick={() => setPages((n) => n + 1)}>
          {t.loadMore}
        </button>
      )}
    </section>
  );
}

function sourceLabel(change: TierChange, ranking: string, override: string): string {
  if (change.source === "RANKING") return ranking;
  if (change.source === "OVERRIDE") return override;
  return change.source;
}
