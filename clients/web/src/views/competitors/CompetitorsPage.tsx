/**
 * Competitors (/competitors): the competitor report (GetCompetitorReport) for a period, narrowed by the
 * accounts' industry and region and to one competitor — per competitor the deals faced, won, lost to
 * it or to others and still open, the win rate, the amounts per currency, the breakdown by industry
 * and region and the accounts where it is most present — the names deals carry that match no
 * competitor, and the competitors on record, created and edited here by ADMIN and MANAGER.
 */
import type { Competitor, CompetitorReportRow, GetCompetitorReportResponse } from "@kam/client";
import { useCallback, useId, useMemo, useState, type ReactNode } from "react";
import type { Api } from "../../api/clients";
import { useLoad } from "../../api/useLoad";
import { Link } from "../../app/router";
import { canManage, useApi, useSession } from "../../app/session";
import { amountsText } from "../../format/money";
import { useLocale, useMessages } from "../../i18n/i18n";
import { maxDepth } from "../../segments/model";
import { segmentMessages } from "../../segments/messages";
import { segmentKeyText } from "../../segments/SegmentLabel";
import { SegmentPicker } from "../../segments/SegmentPicker";
import { useSegments } from "../../segments/useSegments";
import { ErrorNotice } from "../../ui/ErrorNotice";
import { Page } from "../../ui/Page";
import { CompetitorForm, CompetitorList } from "./CompetitorList";
import { messages } from "./messages";
import { defaultPeriod, rateText, reportRequest, type ReportInputs } from "./model";
import "./competitors.css";

const LIST_PAGE = 200;
const LIST_PAGES = 10;

async function listCompetitors(api: Api, signal: AbortSignal): Promise<Competitor[]> {
  const all: Competitor[] = [];
  let pageToken = "";
  for (let page = 0; page < LIST_PAGES; page += 1) {
    const response = await api.opportunities.listCompetitors({ pageSize: LIST_PAGE, pageToken }, { signal });
    all.push(...response.competitors);
    pageToken = response.nextPageToken;
    if (pageToken === "") break;
  }
  return all;
}

export function CompetitorsPage() {
  const t = useMessages(messages);
  const api = useApi();
  const { me } = useSession();
  const [version, setVersion] = useState(0);
  const changed = useCallback(() => setVersion((n) => n + 1), []);
  const competitors = useLoad((signal) => listCompetitors(api, signal), [api, version]);
  const [creating, setCreating] = useState<string | undefined>(undefined);
  const manage = canManage(me);

  return (
    <Page
      title={t.title}
      error={competitors.error}
      loading={competitors.loading}
      actions={
        manage &&
        creating === undefined && (
          <button type="button" onClick={() => setCreating("")}>
            {t.newCompetitor}
          </button>
        )
      }
    >
      {creating !== undefined && (
        <CompetitorForm
          key={creating}
          initialName={creating}
          onCancel={() => setCreating(undefined)}
          onSaved={() => {
            setCreating(undefined);
            changed();
          }}
        />
      )}
      <Report
        competitors={competitors.data ?? []}
        version={version}
        onRecordName={manage ? (name) => setCreating(name) : undefined}
      />
      <CompetitorList competitors={competitors.data} canEdit={manage} onChanged={changed} />
    </Page>
  );
}

function Report({
  competitors,
  version,
  onRecordName,
}: {
  competitors: readonly Competitor[];
  version: number;
  onRecordName: ((name: string) => void) | undefined;
}) {
  const t = useMessages(messages);
  const st = useMessages(segmentMessages);
  const api = useApi();
  const segments = useSegments();
  const headingId = useId();
  const sinceId = useId();
  const untilId = useId();
  const competitorId = useId();
  const rollupId = useId();
  const [inputs, setInputs] = useState<ReportInputs>(() => ({
    ...defaultPeriod(new Date()),
    industryCode: "",
    regionCode: "",
    competitorId: "",
    rollupDepth: 0,
  }));
  const set = <K extends keyof ReportInputs>(key: K, value: ReportInputs[K]) =>
    setInputs((previous) => ({ ...previous, [key]: value }));
  const request = useMemo(() => reportRequest(inputs), [inputs]);
  const report = useLoad(
    (signal) => (request ? api.opportunities.getCompetitorReport(request, { signal }) : Promise.resolve(undefined)),
    [api, JSON.stringify(inputs), version],
  );
  const depth = Math.max(maxDepth(segments.data?.industries ?? []), maxDepth(segments.data?.regions ?? []), 1);

  return (
    <>
      <section className="card competitor-report" aria-labelledby={headingId} aria-busy={report.loading ? "true" : "false"}>
        <h2 id={headingId}>{t.report}</h2>
        <p className="muted">{t.reportDesc}</p>
        <div className="filters" role="group" aria-label={t.filters}>
          <div className="segment-picker">
            <label htmlFor={sinceId}>{t.since}</label>
            <input id={sinceId} name="since" type="date" value={inputs.since} onChange={(event) => set("since", event.target.value)} />
          </div>
          <div className="segment-picker">
            <label htmlFor={untilId}>{t.until}</label>
            <input id={untilId} name="until" type="date" value={inputs.until} onChange={(event) => set("until", event.target.value)} />
          </div>
          <SegmentPicker
            label={st.industry}
            name="industry_code"
            segments={segments.data?.industries}
            value={inputs.industryCode}
            onChange={(code) => set("industryCode", code)}
            emptyLabel={st.any}
          />
          <SegmentPicker
            label={st.region}
            name="region_code"
            segments={segments.data?.regions}
            value={inputs.regionCode}
            onChange={(code) => set("regionCode", code)}
            emptyLabel={st.any}
          />
          <div className="segment-picker">
            <label htmlFor={competitorId}>{t.competitor}</label>
            <select id={competitorId} name="competitor" value={inputs.competitorId} onChange={(event) => set("competitorId", event.target.value)}>
              <option value="">{t.allCompetitors}</option>
              {competitors.map((competitor) => (
                <option key={competitor.id} value={competitor.id}>
                  {competitor.name}
                </option>
              ))}
            </select>
          </div>
          <div className="segment-picker">
            <label htmlFor={rollupId}>{st.rollup}</label>
            <select id={rollupId} name="rollup_depth" value={inputs.rollupDepth} onChange={(event) => set("rollupDepth", Number(event.target.value))}>
              <option value={0}>{st.ownSegment}</option>
              {Array.from({ length: Math.min(8, depth) }, (_, index) => index + 1).map((level) => (
                <option key={level} value={level}>
                  {st.level(level)}
                </option>
              ))}
            </select>
          </div>
        </div>
        {!request && <p className="field-error">{t.badPeriod}</p>}
        <ErrorNotice error={report.error} />
        {report.data && <ReportTable report={report.data} />}
      </section>
      {report.data && inputs.competitorId === "" && <Unmatched report={report.data} onRecordName={onRecordName} />}
    </>
  );
}

function ReportTable({ report }: { report: GetCompetitorReportResponse }) {
  const t = useMessages(messages);
  const { locale } = useLocale();
  if (report.rows.length === 0) return <p className="muted">{t.noRows}</p>;
  return (
    <>
      <table data-testid="competitor-report">
        <caption className="visually-hidden">{t.report}</caption>
        <thead>
          <tr>
            <th scope="col">{t.competitor}</th>
            <th scope="col" className="number">{t.faced}</th>
            <th scope="col" className="number">{t.won}</th>
            <th scope="col" className="number">{t.lostTo}</th>
            <th scope="col" className="number">{t.lostToOthers}</th>
            <th scope="col" className="number">{t.open}</th>
            <th scope="col" className="number">{t.winRate}</th>
            <th scope="col" className="number">{t.facedAmounts}</th>
            <th scope="col" className="number">{t.wonAmounts}</th>
            <th scope="col" className="number">{t.lostAmounts}</th>
          </tr>
        </thead>
        <tbody>
          {report.rows.map((row) => {
            const o = row.outcomes;
            return (
              <tr key={row.competitorId || row.competitorName} data-testid={`competitor-row-${row.competitorId}`}>
                <th scope="row">{row.competitorName}</th>
                <td className="number">{String(o?.faced ?? 0n)}</td>
                <td className="number">{String(o?.won ?? 0n)}</td>
                <td className="number">{String(o?.lostTo ?? 0n)}</td>
                <td className="number">{String(o?.lostToOthers ?? 0n)}</td>
                <td className="number">{String(o?.open ?? 0n)}</td>
                <td className="number">{t.percent(rateText(o?.winRate ?? 0))}</td>
                <td className="number">{amountsText(o?.facedAmounts ?? [], locale, t.none)}</td>
                <td className="number">{amountsText(o?.wonAmounts ?? [], locale, t.none)}</td>
                <td className="number">{amountsText(o?.lostAmounts ?? [], locale, t.none)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {report.rows.map((row) => (
        <RowDetails key={row.competitorId || row.competitorName} row={row} />
      ))}
    </>
  );
}

/** One competitor's breakdown by industry and region, and the accounts where it is most present. */
function RowDetails({ row }: { row: CompetitorReportRow }) {
  const t = useMessages(messages);
  const st = useMessages(segmentMessages);
  const { locale } = useLocale();
  const segments = useSegments();
  return (
    <details className="competitor-details" data-testid={`competitor-details-${row.competitorId}`}>
      <summary>{t.details(row.competitorName)}</summary>
      <div className="competitor-details-grid">
        <SegmentTable
          title={t.byIndustry}
          rows={row.byIndustry.map((entry) => ({
            key: `${entry.segment?.code ?? ""}/${entry.segment?.name ?? ""}`,
            name: segmentKeyText(entry.segment, segments.data?.industries, locale, st),
            outcomes: entry.outcomes,
          }))}
        />
        <SegmentTable
          title={t.byRegion}
          rows={row.byRegion.map((entry) => ({
            key: `${entry.segment?.code ?? ""}/${entry.segment?.name ?? ""}`,
            name: segmentKeyText(entry.segment, segments.data?.regions, locale, st),
            outcomes: entry.outcomes,
          }))}
        />
        <Titled title={t.topAccounts}>
          {row.topAccounts.length === 0 ? (
            <p className="muted">{t.none}</p>
          ) : (
            <table>
              <thead>
                <tr>
                  <th scope="col">{t.account}</th>
                  <th scope="col" className="number">{t.faced}</th>
                  <th scope="col" className="number">{t.won}</th>
                  <th scope="col" className="number">{t.lostTo}</th>
                </tr>
              </thead>
              <tbody>
                {row.topAccounts.map((account) => (
                  <tr key={account.accountId}>
                    <th scope="row">
                      <Link to={{ page: "account", id: account.accountId }}>{account.accountDisplayName || account.accountId}</Link>
                    </th>
                    <td className="number">{String(account.faced)}</td>
                    <td className="number">{String(account.won)}</td>
                    <td className="number">{String(account.lostTo)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Titled>
      </div>
    </details>
  );
}

function Titled({ title, children }: { title: string; children: ReactNode }) {
  const headingId = useId();
  return (
    <section aria-labelledby={headingId}>
      <h3 id={headingId}>{title}</h3>
      {children}
    </section>
  );
}

function SegmentTable({
  title,
  rows,
}: {
  title: string;
  rows: { key: string; name: string; outcomes: CompetitorReportRow["outcomes"] }[];
}) {
  const t = useMessages(messages);
  const st = useMessages(segmentMessages);
  return (
    <Titled title={title}>
      {rows.length === 0 ? (
        <p className="muted">{t.none}</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">{st.segment}</th>
              <th scope="col" className="number">{t.faced}</th>
              <th scope="col" className="number">{t.won}</th>
              <th scope="col" className="number">{t.lostTo}</th>
              <th scope="col" className="number">{t.open}</th>
              <th scope="col" className="number">{t.winRate}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.key}>
                <th scope="row">{row.name}</th>
                <td className="number">{String(row.outcomes?.faced ?? 0n)}</td>
                <td className="number">{String(row.outcomes?.won ?? 0n)}</td>
                <td className="number">{String(row.outcomes?.lostTo ?? 0n)}</td>
                <td className="number">{String(row.outcomes?.open ?? 0n)}</td>
                <td className="number">{t.percent(rateText(row.outcomes?.winRate ?? 0))}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Titled>
  );
}

function Unmatched({
  report,
  onRecordName,
}: {
  report: GetCompetitorReportResponse;
  onRecordName: ((name: string) => void) | undefined;
}) {
  const t = useMessages(messages);
  const headingId = useId();
  return (
    <section className="card" aria-labelledby={headingId} data-testid="competitor-unmatched">
      <h2 id={headingId}>{t.unmatched}</h2>
      <p className="muted">{t.unmatchedDesc}</p>
      {report.unmatched.length === 0 ? (
        <p className="muted">{t.noUnmatched}</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">{t.name}</th>
              <th scope="col" className="number">{t.faced}</th>
              <th scope="col" className="number">{t.lostTo}</th>
              {onRecordName && (
                <th scope="col">
                  <span className="visually-hidden">{t.useName}</span>
                </th>
              )}
            </tr>
          </thead>
          <tbody>
            {report.unmatched.map((name) => (
              <tr key={name.name}>
                <th scope="row">{name.name}</th>
                <td className="number">{String(name.faced)}</td>
                <td className="number">{String(name.lostTo)}</td>
                {onRecordName && (
                  <td>
                    <button
                      type="button"
                      className="secondary"
                      aria-label={`${t.useName}: ${name.name}`}
                      onClick={() => onRecordName(name.name)}
                    >
                      {t.useName}
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
