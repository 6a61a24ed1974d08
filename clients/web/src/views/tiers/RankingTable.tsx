/** The ranking as a table: every account in rank order with its revenue, shares and tier change. */
import type { TierRankingRow } from "@kam/client";
import { useState } from "react";
import { Link } from "../../app/router";
import { formatMoney } from "../../format/money";
import { useLocale, useMessages } from "../../i18n/i18n";
import { formatShare, messages, reasonLabel } from "./messages";
import { changes, filterRows, ppmFraction } from "./model";
import { TierBadge } from "./TierBadge";

/** Rows drawn at once; more on request, so a ranking of thousands stays quick to render. */
const PAGE = 100;

export function RankingTable({
  rows,
  onOverride,
}: {
  rows: readonly TierRankingRow[];
  /** Offered per row to those who may set overrides. */
  onOverride?: ((row: TierRankingRow) => void) | undefined;
}) {
  const t = useMessages(messages);
  const { locale } = useLocale();
  const [query, setQuery] = useState("");
  const [changedOnly, setChangedOnly] = useState(false);
  const [shown, setShown] = useState(PAGE);
  const matching = filterRows(rows, query, changedOnly);
  const visible = matching.slice(0, shown);

  return (
    <section className="card" aria-labelledby="ranking-title">
      <h2 id="ranking-title">{t.rankingTitle}</h2>
      <div className="filters">
        <label>
          {t.search}
          <input type="search" value={query} onChange={(event) => setQuery(event.target.value)} />
        </label>
        <label className="tiers-check">
          <input type="checkbox" checked={changedOnly} onChange={(event) => setChangedOnly(event.target.checked)} />
          {t.changedOnly}
        </label>
      </div>
      <div className="tiers-scroll">
        <table data-testid="ranking-table">
          <thead>
            <tr>
              <th scope="col" className="number">{t.rank}</th>
              <th scope="col">{t.account}</th>
              <th scope="col" className="number">{t.revenue}</th>
              <th scope="col" className="number">{t.share}</th>
              <th scope="col" className="number">{t.cumulative}</th>
              <th scope="col">{t.tierChange}</th>
              <th scope="col">{t.reason}</th>
              {onOverride && <th scope="col">{t.actions}</th>}
            </tr>
          </thead>
          <tbody>
            {visible.map((row) => (
              <tr key={row.accountId} data-account-id={row.accountId} className={changes(row) ? "tiers-changed-row" : undefined}>
                <td className="number">{row.rank}</td>
                <td>
                  <Link to={{ page: "account", id: row.accountId }}>{row.accountDisplayName}</Link>
                </td>
                <td className="number">{row.revenue ? formatMoney(row.revenue, locale) : ""}</td>
                <td className="number">{formatShare(ppmFraction(row.sharePpm), locale)}</td>
                <td className="number">{formatShare(ppmFraction(row.cumulativeSharePpm), locale)}</td>
                <td data-testid="tier-change">
                  <TierBadge tier={row.oldTier} />
                  {changes(row) ? (
                    <>
                      {" → "}
                      <TierBadge tier={row.newTier} proposed />
                    </>
                  ) : (
                    <span className="muted"> ({t.unchanged})</span>
                  )}
                </td>
                <td>{reasonLabel(locale, row.reason)}</td>
                {onOverride && (
                  <td>
                    <button
                      type="button"
                      className="secondary tiers-small"
                      aria-label={t.overrideFor(row.accountDisplayName)}
                      onClick={() => onOverride(row)}
                    >
                      {t.override}
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {matching.length === 0 && <p className="muted">{t.noRows}</p>}
      {matching.length > shown && (
        <button type="button" className="secondary" onClick={() => setShown((n) => n + PAGE)}>
          {t.showMore(Math.min(PAGE, matching.length - shown))}
        </button>
      )}
    </section>
  );
}
