/**
 * Workload per person (GetWorkload): active accounts against capacity and open items per area, as a
 * table of every person and as stacked bars of the busiest.
 */
import type { GetWorkloadResponse, KamError } from "@kam/client";
import { useMemo, useState } from "react";
import { useLocale, useMessages } from "../../i18n/i18n";
import { ErrorNotice } from "../../ui/ErrorNotice";
import { areaLabel, messages } from "./messages";
import { aggregateWorkload } from "./model";
import { WorkloadBars } from "./WorkloadBars";

/** Rows drawn at once; more on request. */
const PAGE = 50;

export function Workload({
  workload,
  error,
  loading,
}: {
  workload: GetWorkloadResponse | undefined;
  error: KamError | undefined;
  loading: boolean;
}) {
  const t = useMessages(messages);
  const { locale } = useLocale();
  const [query, setQuery] = useState("");
  const [shown, setShown] = useState(PAGE);
  const report = useMemo(() => aggregateWorkload(workload?.workloads ?? []), [workload]);
  const needle = query.trim().toLocaleLowerCase();
  const matching = report.rows.filter((row) => needle === "" || row.fullName.toLocaleLowerCase().includes(needle));

  return (
    <section className="card" aria-labelledby="workload-title" aria-busy={loading ? "true" : "false"}>
      <h2 id="workload-title">{t.workloadTitle}</h2>
      <ErrorNotice error={error} />
      {report.rows.length > 0 && <WorkloadBars report={report} />}
      <div className="filters">
        <label>
          {t.findPerson}
          <input type="search" value={query} onChange={(event) => setQuery(event.target.value)} />
        </label>
      </div>
      <div className="teams-scroll">
        <table data-testid="workload-table">
          <thead>
            <tr>
              <th scope="col">{t.person}</th>
              <th scope="col">{t.accounts}</th>
              {report.areas.map((area) => (
                <th key={area} scope="col" className="number">
                  {areaLabel(locale, area)}
                </th>
              ))}
              <th scope="col" className="number">{t.total}</th>
            </tr>
          </thead>
          <tbody>
            {matching.slice(0, shown).map((row) => (
              <tr key={row.staffId} data-staff-id={row.staffId}>
                <th scope="row">{row.fullName}</th>
                <td>
                  <div className="teams-capacity">
                    <span>{t.capacity(row.activeAccounts, row.maxAccounts)}</span>
                    <div className={`progress${row.utilisation >= 1 ? " teams-full" : ""}`} aria-hidden="true">
                      <span style={{ width: `${Math.min(100, Math.round(row.utilisation * 100))}%` }} />
                    </div>
                  </div>
                </td>
                {report.areas.map((area) => (
                  <td key={area} className="number" data-area={area}>
                    {row.items[area] ?? 0}
                  </td>
                ))}
                <td className="number">{row.total}</td>
              </tr>
            ))}
          </tbody>
          {needle === "" && report.rows.length > 1 && (
            <tfoot>
              <tr>
                <th scope="row">{t.allPeople}</th>
                <td>{report.rows.reduce((sum, row) => sum + row.activeAccounts, 0)}</td>
                {report.areas.map((area) => (
                  <td key={area} className="number">
                    {report.totals[area] ?? 0}
                  </td>
                ))}
                <td className="number">{Object.values(report.totals).reduce((sum, n) => sum + n, 0)}</td>
              </tr>
            </tfoot>
          )}
        </table>
      </div>
      {workload && matching.length === 0 && <p className="muted">{t.noWorkload}</p>}
      {matching.length > shown && (
        <button type="button" className="secondary" onClick={() => setShown((n) => n + PAGE)}>
          {t.showMore(Math.min(PAGE, matching.length - shown))}
        </button>
      )}
    </section>
  );
}
