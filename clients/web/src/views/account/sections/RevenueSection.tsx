/**
 * Revenue per month: the trailing twelve months against the twelve before, drawn as paired bars, with
 * the exact totals in text and the whole series as a table for screen readers. Amounts are in the
 * reporting currency; `chartValue` turns them into numbers for the geometry only.
 */
import type { Account, Money } from "@kam/client";
import { useId, useMemo } from "react";
import { useApi } from "../../../app/session";
import { useLoad } from "../../../api/useLoad";
import { chartValue, formatMoney } from "../../../format/money";
import { defineMessages, useLocale, useMessages, type Locale } from "../../../i18n/i18n";
import { changePercent, compareRevenue, revenueRange, type RevenueComparison, type YearMonth } from "./model";
import { Loading, SectionFrame } from "./SectionFrame";

const messages = defineMessages({
  en: {
    title: "Revenue",
    loading: "Loading revenue…",
    trailing: "Last 12 months",
    previous: "12 months before",
    change: "Change",
    percent: (value: string) => `${value} %`,
    noBase: "no base to compare",
    chart: (from: string, to: string) => `Revenue per month, ${from} to ${to}, against the same months a year before`,
    table: "Revenue per month",
    month: "Month",
    monthBefore: "Same month a year before",
    amount: "Revenue",
    amountBefore: "Revenue a year before",
    currency: (code: string) => `Amounts in ${code}`,
  },
  "zh-CN": {
    title: "营收",
    loading: "正在加载营收…",
    trailing: "近 12 个月",
    previous: "上一个 12 个月",
    change: "变化",
    percent: (value: string) => `${value}%`,
    noBase: "无可比基数",
    chart: (from: string, to: string) => `${from}至${to}每月营收，与上年同期对比`,
    table: "每月营收",
    month: "月份",
    monthBefore: "上年同月",
    amount: "营收",
    amountBefore: "上年同期营收",
    currency: (code: string) => `币种：${code}`,
  },
});

export function RevenueSection({ account }: { account: Account }) {
  const api = useApi();
  const t = useMessages(messages);
  const { locale } = useLocale();
  // The range is fixed when the section mounts: the current month (UTC) and the 23 before it.
  const range = useMemo(() => revenueRange(new Date()), []);
  const revenue = useLoad(
    (signal) =>
      api.planning.getMonthlyRevenue(
        { accountId: account.id, fromPeriod: range.from, toPeriod: range.to },
        { signal },
      ),
    [api, account.id, range],
  );
  const comparison = useMemo(
    () =>
      revenue.data
        ? compareRevenue(revenue.data.months, range.to, revenue.data.total?.currencyCode ?? "")
        : undefined,
    [revenue.data, range],
  );

  return (
    <SectionFrame title={t.title} testId="revenue-section" error={revenue.error} loading={revenue.loading}>
      {!comparison && revenue.loading && <Loading text={t.loading} />}
      {comparison && (
        <>
          <RevenueFigures comparison={comparison} locale={locale} />
          <RevenueChart comparison={comparison} locale={locale} />
          <RevenueTable comparison={comparison} locale={locale} />
        </>
      )}
    </SectionFrame>
  );
}

function monthName(period: YearMonth, locale: Locale, style: "short" | "long" = "short"): string {
  return new Intl.DateTimeFormat(locale, { timeZone: "UTC", year: "numeric", month: style }).format(
    new Date(Date.UTC(period.year, period.month - 1, 1)),
  );
}

function RevenueFigures({ comparison, locale }: { comparison: RevenueComparison; locale: Locale }) {
  const t = useMessages(messages);
  const percent = changePercent(comparison.total, comparison.previousTotal);
  const signed = (money: Money) =>
    `${money.units > 0n || money.nanos > 0 ? "+" : ""}${formatMoney(money, locale)}`;
  return (
    <ul className="figures">
      <li>
        <span className="figure-label">{t.trailing}</span>
        <span className="figure-value" data-testid="revenue-total">
          {formatMoney(comparison.total, locale)}
        </span>
      </li>
      <li>
        <span className="figure-label">{t.previous}</span>
        <span className="figure-value" data-testid="revenue-previous-total">
          {formatMoney(comparison.previousTotal, locale)}
        </span>
      </li>
      <li>
        <span className="figure-label">{t.change}</span>
        <span className="figure-value" data-testid="revenue-change">
          {signed(comparison.change)} (
          {percent === undefined
            ? t.noBase
            : t.percent(`${percent > 0 ? "+" : ""}${percent.toLocaleString(locale, { maximumFractionDigits: 1 })}`)}
          )
        </span>
      </li>
      <li>
        <span className="figure-label">{t.currency(comparison.currencyCode)}</span>
      </li>
    </ul>
  );
}

// The chart's drawing area, in viewBox units.
const WIDTH = 720;
const HEIGHT = 240;
const LEFT = 70;
const BOTTOM = 24;
const TOP = 10;

function RevenueChart({ comparison, locale }: { comparison: RevenueComparison; locale: Locale }) {
  const t = useMessages(messages);
  const titleId = useId();
  const first = comparison.months[0];
  const last = comparison.months[comparison.months.length - 1];
  if (!first || !last) return null;

  const values = comparison.months.flatMap((month) => [chartValue(month.amount), chartValue(month.previousAmount)]);
  const top = Math.max(0, ...values);
  const bottom = Math.min(0, ...values);
  const span = top - bottom || 1;
  const plotHeight = HEIGHT - TOP - BOTTOM;
  const y = (value: number) => TOP + ((top - value) / span) * plotHeight;
  const zeroY = y(0);
  const slot = (WIDTH - LEFT) / comparison.months.length;
  const barWidth = slot * 0.36;
  // The axis is labelled with the largest amount drawn, formatted exactly from its Money.
  const largest = comparison.months
    .flatMap((month) => [month.amount, month.previousAmount])
    .reduce((best, money) => (chartValue(money) > chartValue(best) ? money : best));

  const bar = (money: Money, x: number, className: string, period: YearMonth) => {
    const value = chartValue(money);
    const barTop = Math.min(y(value), zeroY);
    const height = Math.max(Math.abs(y(value) - zeroY), value === 0 ? 0 : 1);
    return (
      <rect className={className} x={x} y={barTop} width={barWidth} height={height}>
        <title>{`${monthName(period, locale, "long")}: ${formatMoney(money, locale)}`}</title>
      </rect>
    );
  };

  return (
    <>
      <ul className="legend" aria-hidden="true">
        <li>
          <span className="legend-swatch legend-current" />
          {t.trailing}
        </li>
        <li>
          <span className="legend-swatch legend-previous" />
          {t.previous}
        </li>
      </ul>
      <svg className="revenue-chart" viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-labelledby={titleId}>
        <title id={titleId}>{t.chart(monthName(first.period, locale), monthName(last.period, locale))}</title>
        <line className="axis" x1={LEFT} x2={WIDTH} y1={zeroY} y2={zeroY} />
        <line className="axis" x1={LEFT} x2={LEFT} y1={TOP} y2={HEIGHT - BOTTOM} />
        {top > 0 && (
          <text x={LEFT - 6} y={y(top) + 4} textAnchor="end">
            {formatMoney(largest, locale, { compact: true })}
          </text>
        )}
        <text x={LEFT - 6} y={zeroY + 4} textAnchor="end">
          0
        </text>
        {comparison.months.map((month, index) => {
          const x = LEFT + index * slot + slot * 0.12;
          return (
            <g key={`${month.period.year}-${month.period.month}`}>
              {bar(month.previousAmount, x, "bar-previous", month.previousPeriod)}
              {bar(month.amount, x + barWidth, "bar-current", month.period)}
              <text x={x + barWidth} y={HEIGHT - 8} textAnchor="middle">
                {new Intl.DateTimeFormat(locale, { timeZone: "UTC", month: "short" }).format(
                  new Date(Date.UTC(month.period.year, month.period.month - 1, 1)),
                )}
              </text>
            </g>
          );
        })}
      </svg>
    </>
  );
}

function RevenueTable({ comparison, locale }: { comparison: RevenueComparison; locale: Locale }) {
  const t = useMessages(messages);
  return (
    <table className="visually-hidden" data-testid="revenue-table">
      <caption>{t.table}</caption>
      <thead>
        <tr>
          <th scope="col">{t.month}</th>
          <th scope="col">{t.amount}</th>
          <th scope="col">{t.monthBefore}</th>
          <th scope="col">{t.amountBefore}</th>
        </tr>
      </thead>
      <tbody>
        {comparison.months.map((month) => (
          <tr key={`${month.period.year}-${month.period.month}`}>
            <th scope="row">{monthName(month.period, locale, "long")}</th>
            <td>{formatMoney(month.amount, locale)}</td>
            <td>{monthName(month.previousPeriod, locale, "long")}</td>
            <td>{formatMoney(month.previousAmount, locale)}</td>
          </tr>
        ))}
      </tbody>
      <tfoot>
        <tr>
          <th scope="row">{t.trailing}</th>
          <td>{formatMoney(comparison.total, locale)}</td>
          <th scope="row">{t.previous}</th>
          <td>{formatMoney(comparison.previousTotal, locale)}</td>
        </tr>
      </tfoot>
    </table>
  );
}
