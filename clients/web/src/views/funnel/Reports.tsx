/**
 * The funnel's four reports, each computed by the server for the same filter: the opportunities per
 * stage, the conversion between stages, the days per stage, and the forecast. Each shows a chart and
 * the same figures as a table. Amounts are per currency, never converted.
 */
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { SegmentGrouping_Kind, Tier, type CurrencyAmount, type FunnelFilterSchema } from "@kam/client";
import { useId, useState, type ReactNode } from "react";
import { useLoad } from "../../api/useLoad";
import { useApi } from "../../app/session";
import { formatMoney } from "../../format/money";
import { useLocale, useMessages, type Locale } from "../../i18n/i18n";
import { ErrorNotice } from "../../ui/ErrorNotice";
import { amountsText } from "../../format/money";
import { GroupingPicker, type Grouping } from "../../segments/GroupingPicker";
import { segmentMessages } from "../../segments/messages";
import { segmentKeyText } from "../../segments/SegmentLabel";
import { useSegments } from "../../segments/useSegments";
import { BarChart } from "./BarChart";
import { forecastLabel, funnelMessages } from "./messages";
import { amountIn, currenciesOf, daysText, periodRange, percentText, segmentRows } from "./model";

/** What the reports are narrowed to: plain values, so they can be a hook's dependencies. */
export interface ReportInputs {
  pipelineId: string;
  ownerStaffId: string;
  accountId: string;
  tier: Tier | undefined;
  /** `yyyy-mm-dd` in the browser's zone, or "". */
  since: string;
  until: string;
  /** The accounts' industry and region (codes; "" for any). */
  industryCode: string;
  regionCode: string;
}

function funnelFilter(inputs: ReportInputs): MessageInitShape<typeof FunnelFilterSchema> {
  const { start, end } = periodRange(inputs.since, inputs.until);
  return {
    pipelineId: inputs.pipelineId,
    ownerStaffId: inputs.ownerStaffId,
    accountId: inputs.accountId,
    tier: inputs.tier ?? Tier.TIER_UNSPECIFIED,
    segments: { industryCode: inputs.industryCode, regionCode: inputs.regionCode },
    ...(start ? { startTime: timestampFromDate(start) } : {}),
    ...(end ? { endTime: timestampFromDate(end) } : {}),
  };
}

function inputsKey(inputs: ReportInputs): string {
  return JSON.stringify(inputs);
}

/** Every sum of a list of per-currency sums, formatted, e.g. "€1,000.00 · ¥5,000" (or "—"). */
function sumsText(sums: readonly CurrencyAmount[], locale: Locale, none: string): string {
  const shown = sums.filter((sum) => sum.amount).map((sum) => formatMoney(sum.amount!, locale));
  return shown.length === 0 ? none : shown.join(" · ");
}

export function Reports({
  inputs,
  version,
  stageName,
  segmentDepth = 1,
}: {
  inputs: ReportInputs;
  /** Bumped after a write on the board, so the figures follow it. */
  version: number;
  stageName: (key: string) => string;
  /** The deepest level of the segment trees, for the rollup levels offered. */
  segmentDepth?: number;
}) {
  return (
    <div className="funnel-reports">
      <SummaryReport inputs={inputs} version={version} stageName={stageName} />
      <ConversionReport inputs={inputs} version={version} stageName={stageName} />
      <VelocityReport inputs={inputs} version={version} stageName={stageName} />
      <ForecastReport inputs={inputs} version={version} />
      <SegmentReport inputs={inputs} version={version} segmentDepth={segmentDepth} />
    </div>
  );
}

/**
 * The funnel and the forecast broken down by the accounts' industry or region (GetFunnelSummary and
 * GetForecast with `group_by`), rolled up to a level of the tree when asked.
 */
function SegmentReport({ inputs, version, segmentDepth }: { inputs: ReportInputs; version: number; segmentDepth: number }) {
  const t = useMessages(funnelMessages);
  const st = useMessages(segmentMessages);
  const { locale } = useLocale();
  const api = useApi();
  const segments = useSegments();
  const [grouping, setGrouping] = useState<Grouping>({ kind: SegmentGrouping_Kind.INDUSTRY, rollupDepth: 0 });
  const groupBy = { kind: grouping.kind, rollupDepth: grouping.rollupDepth };
  const report = useLoad(
    async (signal) => {
      const [summary, forecast] = await Promise.all([
        api.opportunities.getFunnelSummary({ filter: funnelFilter(inputs), groupBy }, { signal }),
        api.opportunities.getForecast({ filter: funnelFilter(inputs), groupBy }, { signal }),
      ]);
      return segmentRows(summary.segments, forecast.segments);
    },
    [api, inputsKey(inputs), version, grouping.kind, grouping.rollupDepth],
  );
  const tree = grouping.kind === SegmentGrouping_Kind.REGION ? segments.data?.regions : segments.data?.industries;
  return (
    <ReportCard
      title={t.segmentTitle}
      description={t.segmentDesc}
      loading={report.loading}
      controls={
        <div className="filters funnel-segment-controls">
          <GroupingPicker value={grouping} onChange={setGrouping} maxDepth={segmentDepth} allowNone={false} />
        </div>
      }
    >
      <ErrorNotice error={report.error} />
      {report.data && report.data.length === 0 && <p className="muted">{t.noData}</p>}
      {report.data && report.data.length > 0 && (
        <table data-testid="funnel-segments">
          <caption className="visually-hidden">{t.segmentTitle}</caption>
          <thead>
            <tr>
              <th scope="col">{st.segment}</th>
              <th scope="col" className="number">{t.count}</th>
              <th scope="col" className="number">{t.amounts}</th>
              <th scope="col" className="number">{t.weightedPipeline}</th>
              <th scope="col" className="number">{t.closedWon}</th>
            </tr>
          </thead>
          <tbody>
            {report.data.map((row) => (
              <tr key={`${row.key?.code ?? ""}/${row.key?.name ?? ""}`}>
                <th scope="row">{segmentKeyText(row.key, tree, locale, st)}</th>
                <td className="number">{String(row.count)}</td>
                <td className="number">{amountsText(row.amounts, locale, t.none)}</td>
                <td className="number">{amountsText(row.weightedPipeline, locale, t.none)}</td>
                <td className="number">{amountsText(row.closedWon, locale, t.none)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </ReportCard>
  );
}

function ReportCard({
  title,
  description,
  controls,
  children,
  loading,
}: {
  title: string;
  description: string;
  controls?: ReactNode;
  children: ReactNode;
  loading: boolean;
}) {
  const headingId = useId();
  return (
    <section className="card funnel-report" aria-labelledby={headingId} aria-busy={loading ? "true" : "false"}>
      <div className="funnel-report-head">
        <h3 id={headingId}>{title}</h3>
        {controls}
      </div>
      <p className="muted">{description}</p>
      {children}
    </section>
  );
}

type Measure = { kind: "count" } | { kind: "amount" | "weighted"; currency: string };

function SummaryReport({ inputs, version, stageName }: { inputs: ReportInputs; version: number; stageName: (key: string) => string }) {
  const t = useMessages(funnelMessages);
  const { locale } = useLocale();
  const api = useApi();
  const measureId = useId();
  const report = useLoad(
    (signal) => api.opportunities.getFunnelSummary({ filter: funnelFilter(inputs) }, { signal }),
    [api, inputsKey(inputs), version],
  );
  const [measureValue, setMeasureValue] = useState("count");
  const stages = report.data?.stages ?? [];
  const currencies = currenciesOf(stages.map((stage) => stage.amounts));
  const measure: Measure =
    measureValue === "count"
      ? { kind: "count" }
      : { kind: measureValue.startsWith("w:") ? "weighted" : "amount", currency: measureValue.slice(2) };
  const measures = [
    { value: "count", label: t.measureCount },
    ...currencies.flatMap((currency) => [
      { value: `a:${currency}`, label: t.measureAmount(currency) },
      { value: `w:${currency}`, label: t.measureWeighted(currency) },
    ]),
  ];
  const bars = stages.map((stage) => {
    if (measure.kind === "count") {
      return { key: stage.stage, label: stageName(stage.stage), value: Number(stage.count), valueText: String(stage.count) };
    }
    const sums = measure.kind === "amount" ? stage.amounts : stage.weightedAmounts;
    const sum = sums.find((candidate) => candidate.currencyCode === measure.currency);
    return {
      key: stage.stage,
      label: stageName(stage.stage),
      value: amountIn(sums, measure.currency),
      valueText: sum?.amount ? formatMoney(sum.amount, locale) : t.none,
    };
  });
  return (
    <ReportCard
      title={t.summaryTitle}
      description={t.summaryDesc}
      loading={report.loading}
      controls={
        <label htmlFor={measureId} className="funnel-inline-label">
          {t.measure}
          <select id={measureId} value={measures.some((m) => m.value === measureValue) ? measureValue : "count"} onChange={(event) => setMeasureValue(event.target.value)}>
            {measures.map((option) => (
              <option key={option.value} value={option.value}>
                {option.label}
              </option>
            ))}
          </select>
        </label>
      }
    >
      <ErrorNotice error={report.error} />
      {report.data && (
        <>
          <BarChart title={t.summaryTitle} bars={bars} centered testId="chart-summary" />
          <table>
            <caption className="visually-hidden">{t.summaryTitle}</caption>
            <thead>
              <tr>
                <th scope="col">{t.stage}</th>
                <th scope="col" className="number">{t.count}</th>
                <th scope="col" className="number">{t.amounts}</th>
                <th scope="col" className="number">{t.weighted}</th>
              </tr>
            </thead>
            <tbody>
              {stages.map((stage) => (
                <tr key={stage.stage}>
                  <th scope="row">{stageName(stage.stage)}</th>
                  <td className="number">{String(stage.count)}</td>
                  <td className="number">{sumsText(stage.amounts, locale, t.none)}</td>
                  <td className="number">{sumsText(stage.weightedAmounts, locale, t.none)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </ReportCard>
  );
}

function ConversionReport({ inputs, version, stageName }: { inputs: ReportInputs; version: number; stageName: (key: string) => string }) {
  const t = useMessages(funnelMessages);
  const api = useApi();
  const report = useLoad(
    (signal) => api.opportunities.getConversionReport({ filter: funnelFilter(inputs) }, { signal }),
    [api, inputsKey(inputs), version],
  );
  const data = report.data;
  const bars = (data?.stages ?? []).map((stage) => ({
    key: stage.stage,
    label: stageName(stage.stage),
    value: Number(stage.reached),
    valueText: `${String(stage.reached)} → ${percentText(stage.conversionRate)}%`,
  }));
  return (
    <ReportCard title={t.conversionTitle} description={t.conversionDesc} loading={report.loading}>
      <ErrorNotice error={report.error} />
      {data && (
        <>
          <BarChart title={t.conversionTitle} bars={bars} centered testId="chart-conversion" />
          <p data-testid="win-rate">{t.winRate(percentText(data.winRate), String(data.won), String(data.lost))}</p>
          <table>
            <caption className="visually-hidden">{t.conversionTitle}</caption>
            <thead>
              <tr>
                <th scope="col">{t.stage}</th>
                <th scope="col" className="number">{t.reached}</th>
                <th scope="col" className="number">{t.reachedNext}</th>
                <th scope="col" className="number">{t.conversion}</th>
              </tr>
            </thead>
            <tbody>
              {data.stages.map((stage) => (
                <tr key={stage.stage}>
                  <th scope="row">{stageName(stage.stage)}</th>
                  <td className="number">{String(stage.reached)}</td>
                  <td className="number">{String(stage.reachedNext)}</td>
                  <td className="number">{percentText(stage.conversionRate)}%</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </ReportCard>
  );
}

function VelocityReport({ inputs, version, stageName }: { inputs: ReportInputs; version: number; stageName: (key: string) => string }) {
  const t = useMessages(funnelMessages);
  const api = useApi();
  const report = useLoad(
    (signal) => api.opportunities.getVelocityReport({ filter: funnelFilter(inputs) }, { signal }),
    [api, inputsKey(inputs), version],
  );
  const data = report.data;
  const bars = (data?.stages ?? []).map((stage) => ({
    key: stage.stage,
    label: stageName(stage.stage),
    value: stage.meanDays,
    marker: stage.stays > 0n ? stage.medianDays : undefined,
    valueText: `${daysText(stage.meanDays)} / ${daysText(stage.medianDays)}`,
  }));
  return (
    <ReportCard title={t.velocityTitle} description={t.velocityDesc} loading={report.loading}>
      <ErrorNotice error={report.error} />
      {data && (
        <>
          <BarChart title={`${t.velocityTitle} (${t.meanDays} / ${t.medianDays})`} bars={bars} testId="chart-velocity" />
          <p>{t.cycle(daysText(data.meanCycleDays), String(data.won))}</p>
          <table>
            <caption className="visually-hidden">{t.velocityTitle}</caption>
            <thead>
              <tr>
                <th scope="col">{t.stage}</th>
                <th scope="col" className="number">{t.stays}</th>
                <th scope="col" className="number">{t.meanDays}</th>
                <th scope="col" className="number">{t.medianDays}</th>
              </tr>
            </thead>
            <tbody>
              {data.stages.map((stage) => (
                <tr key={stage.stage}>
                  <th scope="row">{stageName(stage.stage)}</th>
                  <td className="number">{String(stage.stays)}</td>
                  <td className="number">{daysText(stage.meanDays)}</td>
                  <td className="number">{daysText(stage.medianDays)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </ReportCard>
  );
}

function ForecastReport({ inputs, version }: { inputs: ReportInputs; version: number }) {
  const t = useMessages(funnelMessages);
  const { locale } = useLocale();
  const api = useApi();
  const currencyId = useId();
  const report = useLoad(
    (signal) => api.opportunities.getForecast({ filter: funnelFilter(inputs) }, { signal }),
    [api, inputsKey(inputs), version],
  );
  const data = report.data;
  const currencies = currenciesOf([
    ...(data?.categories ?? []).map((category) => category.amounts),
    data?.weightedPipeline ?? [],
    data?.closedWon ?? [],
  ]);
  const [chosen, setChosen] = useState("");
  const currency = currencies.includes(chosen) ? chosen : (currencies[0] ?? "");
  const bars = (data?.categories ?? []).map((category) => {
    const sum = category.amounts.find((candidate) => candidate.currencyCode === currency);
    return {
      key: String(category.category),
      label: forecastLabel(locale, category.category),
      value: amountIn(category.amounts, currency),
      valueText: sum?.amount ? formatMoney(sum.amount, locale) : t.none,
    };
  });
  return (
    <ReportCard
      title={t.forecastTitle}
      description={t.forecastDesc}
      loading={report.loading}
      controls={
        currencies.length > 0 && (
          <label htmlFor={currencyId} className="funnel-inline-label">
            {t.currency}
            <select id={currencyId} value={currency} onChange={(event) => setChosen(event.target.value)}>
              {currencies.map((code) => (
                <option key={code} value={code}>
                  {code}
                </option>
              ))}
            </select>
          </label>
        )
      }
    >
      <ErrorNotice error={report.error} />
      {data && (
        <>
          {currency === "" ? (
            <p className="muted">{t.noData}</p>
          ) : (
            <BarChart title={`${t.forecastTitle} (${currency})`} bars={bars} testId="chart-forecast" />
          )}
          <table>
            <caption className="visually-hidden">{t.forecastTitle}</caption>
            <thead>
              <tr>
                <th scope="col">{t.category}</th>
                <th scope="col" className="number">{t.count}</th>
                <th scope="col" className="number">{t.amounts}</th>
              </tr>
            </thead>
            <tbody>
              {data.categories.map((category) => (
                <tr key={category.category}>
                  <th scope="row">{forecastLabel(locale, category.category)}</th>
                  <td className="number">{String(category.amounts.reduce((total, sum) => total + sum.count, 0n))}</td>
                  <td className="number">{sumsText(category.amounts, locale, t.none)}</td>
                </tr>
              ))}
              <tr>
                <th scope="row">{t.weightedPipeline}</th>
                <td className="number">{String(data.weightedPipeline.reduce((total, sum) => total + sum.count, 0n))}</td>
                <td className="number">{sumsText(data.weightedPipeline, locale, t.none)}</td>
              </tr>
              <tr>
                <th scope="row">{t.closedWon}</th>
                <td className="number">{String(data.closedWon.reduce((total, sum) => total + sum.count, 0n))}</td>
                <td className="number">{sumsText(data.closedWon, locale, t.none)}</td>
              </tr>
            </tbody>
          </table>
        </>
      )}
    </ReportCard>
  );
}
