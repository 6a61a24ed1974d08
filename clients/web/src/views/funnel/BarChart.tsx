/**
 * A horizontal bar chart in plain SVG: one row per item, its label on the left, the bar, and the figure
 * as text after it. The whole chart is one image to assistive technology, named by its title and every
 * figure; the tables beside each chart carry the same figures for reading.
 */
import { barLength } from "./model";

export interface Bar {
  key: string;
  label: string;
  /** The bar's length in the chart's unit (a count, days, or an amount through chartValue). */
  value: number;
  /** The figure as people read it (formatted exactly). */
  valueText: string;
  /** An optional tick on the bar, e.g. the median beside the mean. */
  marker?: number | undefined;
}

const WIDTH = 640;
const LABEL_WIDTH = 150;
const VALUE_WIDTH = 150;
const ROW = 30;
const BAR = 20;
const BAR_AREA = WIDTH - LABEL_WIDTH - VALUE_WIDTH;

export function BarChart({
  title,
  bars,
  centered = false,
  testId,
}: {
  title: string;
  bars: readonly Bar[];
  /** Bars centred on one axis: the funnel's shape. */
  centered?: boolean;
  testId?: string;
}) {
  const max = Math.max(0, ...bars.map((bar) => Math.max(bar.value, bar.marker ?? 0)));
  const height = Math.max(ROW, bars.length * ROW) + 8;
  const described = `${title}: ${bars.map((bar) => `${bar.label} ${bar.valueText}`).join("; ")}`;
  return (
    <svg
      className="funnel-chart"
      viewBox={`0 0 ${WIDTH} ${height}`}
      width={WIDTH}
      height={height}
      role="img"
      aria-label={described}
      data-testid={testId}
    >
      <title>{described}</title>
      {bars.map((bar, index) => {
        const y = 4 + index * ROW;
        const length = barLength(bar.value, max, BAR_AREA);
        const x = LABEL_WIDTH + (centered ? (BAR_AREA - length) / 2 : 0);
        const marker = bar.marker === undefined ? undefined : LABEL_WIDTH + barLength(bar.marker, max, BAR_AREA);
        return (
          <g key={bar.key}>
            <text x={LABEL_WIDTH - 8} y={y + BAR / 2} textAnchor="end" dominantBaseline="middle" className="chart-label">
              {bar.label}
            </text>
            <rect x={LABEL_WIDTH} y={y} width={BAR_AREA} height={BAR} className="chart-track" />
            <rect x={x} y={y} width={length} height={BAR} className="chart-bar" />
            {marker !== undefined && (
              <line x1={marker} x2={marker} y1={y - 2} y2={y + BAR + 2} className="chart-marker" />
            )}
            <text x={LABEL_WIDTH + BAR_AREA + 8} y={y + BAR / 2} dominantBaseline="middle" className="chart-value">
              {bar.valueText}
            </text>
          </g>
        );
      })}
    </svg>
  );
}
