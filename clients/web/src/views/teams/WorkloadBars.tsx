/**
 * Stacked horizontal bars of open items per area for the busiest people, drawn by hand in SVG. The
 * figures are in the workload table beside it; the chart names itself and its areas for screen readers.
 */
import { useId } from "react";
import { useLocale, useMessages } from "../../i18n/i18n";
import { areaLabel, messages } from "./messages";
import { busiest, type WorkloadReport } from "./model";

const SHOWN = 12;
const WIDTH = 640;
const NAME_W = 190;
const COUNT_W = 40;
const ROW_H = 22;
const BAR_H = 14;
const BAR_W = WIDTH - NAME_W - COUNT_W;

export function WorkloadBars({ report }: { report: WorkloadReport }) {
  const t = useMessages(messages);
  const { locale } = useLocale();
  const titleId = useId();
  const descId = useId();
  const rows = busiest(report.rows, SHOWN);
  const scale = report.maxTotal > 0 ? BAR_W / report.maxTotal : 0;
  const height = rows.length * ROW_H + 4;

  return (
    <figure className="teams-bars">
      <svg viewBox={`0 0 ${WIDTH} ${height}`} role="img" aria-labelledby={`${titleId} ${descId}`} data-testid="workload-bars">
        <title id={titleId}>{t.barsTitle}</title>
        <desc id={descId}>{t.barsDesc(rows.length)}</desc>
        {rows.map((row, index) => {
          const y = index * ROW_H + 2;
          let x = NAME_W;
          return (
            <g key={row.staffId}>
              <text x={NAME_W - 8} y={y + BAR_H - 2} textAnchor="end" className="teams-bar-name">
                {row.fullName.length > 22 ? `${row.fullName.slice(0, 21)}…` : row.fullName}
              </text>
              {report.areas.map((area, areaIndex) => {
                const width = (row.items[area] ?? 0) * scale;
                const rect = (
                  <rect key={area} x={x} y={y} width={width} height={BAR_H} className={`teams-area-${areaIndex % 6}`}>
                    <title>{`${row.fullName} — ${areaLabel(locale, area)}: ${row.items[area] ?? 0}`}</title>
                  </rect>
                );
                x += width;
                return rect;
              })}
              <text x={x + 6} y={y + BAR_H - 2} className="teams-bar-count">
                {row.total}
              </text>
            </g>
          );
        })}
      </svg>
      <figcaption>
        <ul className="teams-legend">
          {report.areas.map((area, areaIndex) => (
            <li key={area}>
              <span className={`teams-swatch teams-area-${areaIndex % 6}`} aria-hidden="true" />
              {areaLabel(locale, area)}
            </li>
          ))}
        </ul>
      </figcaption>
    </figure>
  );
}
