/**
 * Account tiers: the ranking by revenue share as a preview (RecomputeTiers with
 * validate_only, nothing stored), its Pareto curve and table, applying it, the manual overrides, and
 * the tier changes so far. Ranking and writing are for managers and administrators; everyone else
 * sees the overrides and changes of the accounts they may see.
 */
import type { RecomputeTiersResponse, TierRankingRow } from "@kam/client";
import { useMemo, useRef, useState, type ReactNode } from "react";
import { canManage, useApi, useSession } from "../../app/session";
import { useLoad } from "../../api/useLoad";
import { formatMoney } from "../../format/money";
import { formatTime } from "../../format/time";
import { useLocale, useMessages } from "../../i18n/i18n";
import { label, TIER } from "../../i18n/labels";
import { Page } from "../../ui/Page";
import { ApplyRanking } from "./ApplyRanking";
import { formatShare, messages } from "./messages";
import { paretoPoints, ppmFraction, thresholdMarks, tierDiff } from "./model";
import { OverridesSection, type AccountOption } from "./Overrides";
import { ParetoChart } from "./ParetoChart";
import { RankingTable } from "./RankingTable";
import { TierChanges } from "./TierChanges";
import "./tiers.css";

/** Rows of the preview: enough for the curve and table of any ordinary deployment. */
const PREVIEW_ROW_LIMIT = 1000;

export function TiersPage() {
  const t = useMessages(messages);
  const { me } = useSession();
  const manage = canManage(me);
  // Bumped after every write on the page, so each section loads again.
  const [version, setVersion] = useState(0);
  const changed = () => setVersion((n) => n + 1);
  const [draftAccountId, setDraftAccountId] = useState("");
  const accountSelectRef = useRef<HTMLSelectElement>(null);
  const preview = usePreview(manage, version);
  const rows = useMemo(() => preview.data?.rows ?? [], [preview.data]);
  const knownNames = useMemo(() => new Map(rows.map((row) => [row.accountId, row.accountDisplayName])), [rows]);
  const accountOptions = useMemo<AccountOption[]>(
    () => rows.map((row) => ({ id: row.accountId, name: row.accountDisplayName })).sort((a, b) => a.name.localeCompare(b.name)),
    [rows],
  );

  const startOverride = (row: TierRankingRow) => {
    setDraftAccountId(row.accountId);
    accountSelectRef.current?.focus();
    accountSelectRef.current?.scrollIntoView({ block: "center" });
  };

  return (
    <Page
      title={t.title}
      error={preview.error}
      loading={preview.loading}
      actions={
        manage && (
          <button type="button" className="secondary" onClick={preview.reload} disabled={preview.loading}>
            {t.refresh}
          </button>
        )
      }
    >
      {!manage && <p className="muted">{t.managersOnly}</p>}
      {manage && preview.data && (
        <>
          <PreviewSummary preview={preview.data}>
            <ApplyRanking previewChanges={preview.data.changedCount} onApplied={changed} />
          </PreviewSummary>
          <RankingTable rows={rows} onOverride={startOverride} />
        </>
      )}
      <OverridesSection
        manage={manage}
        accounts={accountOptions}
        knownNames={knownNames}
        draftAccountId={draftAccountId}
        onDraftAccount={setDraftAccountId}
        accountSelectRef={accountSelectRef}
        version={version}
        onChanged={changed}
      />
      <TierChanges knownNames={knownNames} version={version} />
    </Page>
  );
}

/** The preview ranking, for those who may rank; nothing is asked for the others. */
function usePreview(manage: boolean, version: number) {
  const api = useApi();
  return useLoad(
    (signal) =>
      manage
        ? api.planning.recomputeTiers({ validateOnly: true, rowLimit: PREVIEW_ROW_LIMIT }, { signal })
        : Promise.resolve(undefined),
    [api, manage, version],
  );
}

function PreviewSummary({ preview, children }: { preview: RecomputeTiersResponse; children: ReactNode }) {
  const t = useMessages(messages);
  const { locale } = useLocale();
  const diff = useMemo(() => tierDiff(preview.rows), [preview.rows]);
  const points = useMemo(() => paretoPoints(preview.rows, preview.accountCount), [preview]);
  const marks = useMemo(() => thresholdMarks(preview.rows, preview.accountCount), [preview]);

  return (
    <div className="grid tiers-top">
      <section className="card" aria-labelledby="summary-title" data-testid="preview-summary">
        <h2 id="summary-title">{t.summary}</h2>
        <p className="muted">
          {t.previewNote} {t.asOf(formatTime(preview.asOf, locale))}
        </p>
        <dl className="tiers-figures">
          <div>
            <dt>{t.accountsRanked}</dt>
            <dd>{preview.accountCount}</dd>
          </div>
          <div>
            <dt>{t.totalRevenue}</dt>
            <dd>{preview.totalRevenue ? formatMoney(preview.totalRevenue, locale) : "—"}</dd>
          </div>
          <div>
            <dt>{t.wouldChange}</dt>
            <dd>
              {preview.changedCount}{" "}
              <span className="muted">{t.moves(diff.up, diff.down)}</span>
            </dd>
          </div>
        </dl>
        <table className="tiers-summary">
          <thead>
            <tr>
              <th scope="col">{t.tierCol}</th>
              <th scope="col" className="number">{t.accountsCol}</th>
              <th scope="col" className="number">{t.revenueCol}</th>
              <th scope="col" className="number">{t.shareCol}</th>
            </tr>
          </thead>
          <tbody>
            {preview.tiers.map((summary) => (
              <tr key={summary.tier}>
                <th scope="row">{label(TIER, locale, summary.tier)}</th>
                <td className="number">{summary.accountCount}</td>
                <td className="number">{summary.revenue ? formatMoney(summary.revenue, locale) : ""}</td>
                <td className="number">{formatShare(ppmFraction(summary.sharePpm), locale)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {preview.truncated && <p className="muted">{t.truncated(preview.rows.length, preview.accountCount)}</p>}
        {children}
      </section>
      <section className="card" aria-labelledby="chart-title">
        <h2 id="chart-title">{t.chartTitle}</h2>
        <ParetoChart points={points} marks={marks} accountCount={preview.accountCount} />
      </section>
    </div>
  );
}
