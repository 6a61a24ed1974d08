/**
 * The Pareto curve of the ranking, drawn by hand in SVG: cumulative revenue share (y) against the share
 * of accounts ranked by revenue (x), with where each tier by revenue share ends. The same tiers-figures are
 * written out in text below the chart for those who do not see it.
 */
import { useId } from "react";
import { useLocale, useMessages } from "../../i18n/i18n";
import { label, TIER } from "../../i18n/labels";
import { formatShare, messages } from "./messages";
import type { ParetoPoint, ThresholdMark } from "./model";

const WIDTH = 640;
const HEIGHT = 300;
const PAD = { left: 52, right: 16, top: 14, bottom: 40 };
const PLOT_W = WIDTH - PAD.left - PAD.right;
const PLOT_H = HEIGHT - PAD.top - PAD.bottom;
const TICKS = [0, 0.25, 0.5, 0.75, 1];

const px = (x: number) => PAD.left + x * PLOT_W;
const py = (y: number) => PAD.top + (1 - y) * PLOT_H;

export function ParetoChart({
  points,
  marks,
  accountCount,
}: {
  points: readonly ParetoPoint[];
  marks: readonly ThresholdMark[];
  accountCount: number;
}) {
  const t = useMessages(messages);
  const { locale } = useLocale();
  const titleId = useId();
  const descId = useId();
  const path = points.map((p) => `${px(p.x).toFixed(1)},${py(p.y).toFixed(1)}`).join(" ");

  return (
    <figure className="pareto">
      <svg
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        role="img"
        aria-labelledby={`${titleId} ${descId}`}
        data-testid="pareto-chart"
      >
        <title id={titleId}>{t.chartTitle}</title>
        <desc id={descId}>{t.chartDesc(accountCount)}</desc>
        {TICKS.map((tick) => (
          <g key={tick} className="pareto-grid">
            <line x1={px(0)} x2={px(1)} y1={py(tick)} y2={py(tick)} />
            <line x1={px(tick)} x2={px(tick)} y1={py(0)} y2={py(1)} />
            <text x={PAD.left - 6} y={py(tick) + 4} textAnchor="end">
              {formatShare(tick, locale)}
            </text>
            <text x={px(tick)} y={py(0) + 16} textAnchor="middle">
              {formatShare(tick, locale)}
            </text>
          </g>
        ))}
        <text className="pareto-axis" x={px(0.5)} y={HEIGHT - 4} textAnchor="middle">
          {t.xAxis}
        </text>
        <text
          className="pareto-axis"
          transform={`translate(12 ${py(0.5)}) rotate(-90)`}
          textAnchor="middle"
        >
          {t.yAxis}
        </text>
        {/* The diagonal: every account bringing the same revenue. */}
        <line className="pareto-even" x1={px(0)} y1={py(0)} x2={px(1)} y2={py(1)} />
        {marks.map((mark) => (
          <g key={mark.tier} className={`pareto-mark tier-${mark.tier}`}>
            <line x1={px(mark.x)} x2={px(mark.x)} y1={py(0)} y2={py(mark.y)} />
            <line x1={px(0)} x2={px(mark.x)} y1={py(mark.y)} y2={py(mark.y)} />
            <circle cx={px(mark.x)} cy={py(mark.y)} r={4} />
            {/* Near the right edge the label goes left of the point, so it stays inside the chart. */}
            <text
              x={mark.x > 0.8 ? px(mark.x) - 6 : px(mark.x) + 6}
              y={py(mark.y) + 14}
              textAnchor={mark.x > 0.8 ? "end" : "start"}
            >
              {label(TIER, locale, mark.tier)}
            </text>
          </g>
        ))}
        {points.length > 1 && <polyline className="pareto-curve" points={path} />}
      </svg>
      <figcaption>
        {marks.length === 0 ? (
          <p className="muted">{t.noThresholds}</p>
        ) : (
          <ul className="pareto-legend">
            {marks.map((mark) => (
              <li key={mark.tier} className={`tier-${mark.tier}`}>
                {t.thresholdText(
                  label(TIER, locale, mark.tier),
                  mark.rank,
                  formatShare(mark.x, locale),
                  formatShare(mark.y, locale),
                )}
              </li>
            ))}
          </ul>
        )}
      </figcaption>
    </figure>
  );
}
