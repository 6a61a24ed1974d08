/**
 * Money is exact: an amount is `units` (a bigint) and `nanos` (billionths), and it is shown by handing
 * Intl.NumberFormat its decimal string, which formats strings without passing through a float. Input
 * is parsed from text into units and nanos the same way.
 */
import type { Money } from "@kam/client";
import type { Locale } from "../i18n/i18n";

const NANOS_PER_UNIT = 1_000_000_000n;

/** The exact decimal text of an amount, e.g. `-1234.5`; no trailing zeros, no exponent. */
export function decimalText(money: Pick<Money, "units" | "nanos">): string {
  const total = money.units * NANOS_PER_UNIT + BigInt(money.nanos);
  const negative = total < 0n;
  const magnitude = negative ? -total : total;
  const whole = magnitude / NANOS_PER_UNIT;
  const fraction = (magnitude % NANOS_PER_UNIT).toString().padStart(9, "0").replace(/0+$/, "");
  return `${negative ? "-" : ""}${whole}${fraction === "" ? "" : `.${fraction}`}`;
}

/** An amount in the locale's way, e.g. `€1,234.50` or `¥1,234.50`; never rounded through a float. */
export function formatMoney(money: Money, locale: Locale, options: { compact?: boolean } = {}): string {
  const currency = money.currencyCode || "XXX";
  const format = options.compact
    ? new Intl.NumberFormat(locale, { style: "currency", currency, notation: "compact", maximumFractionDigits: 1 })
    : new Intl.NumberFormat(locale, {
        style: "currency",
        currency,
        // The currency's own minor digits (2 for EUR, 0 for JPY), and more only when the amount has them.
        minimumFractionDigits: currencyDigits(currency, locale),
        maximumFractionDigits: 9,
      });
  return format.format(decimalText(money) as `${number}`);
}

function currencyDigits(currency: string, locale: Locale): number {
  return new Intl.NumberFormat(locale, { style: "currency", currency }).resolvedOptions().minimumFractionDigits ?? 2;
}

/** Why a text is not an amount; `undefined` when it is one. */
export type MoneyInputError = "empty" | "malformed" | "too_precise" | "too_large";

/** The largest amount a request may carry: 10^15 units either way. */
const MAX_UNITS = 1_000_000_000_000_000n;

/**
 * Reads an amount typed by a person, e.g. `1234.56`, `-0.5` or `1,234.56` (thousands separators
 * `,`, `_`, spaces and `'` are dropped; the decimal separator is `.`). Exact: at most nine decimals.
 */
export function parseMoney(text: string, currencyCode: string): Money | MoneyInputError {
  const cleaned = text.trim().replace(/[,_\s']/g, "");
  if (cleaned === "") {
    return "empty";
  }
  const match = /^([+-]?)(\d+)(?:\.(\d*))?$/.exec(cleaned);
  if (!match) {
    return "malformed";
  }
  const [, sign = "", whole = "0", fraction = ""] = match;
  if (fraction.length > 9) {
    return "too_precise";
  }
  const units = BigInt(whole);
  if (units > MAX_UNITS) {
    return "too_large";
  }
  const nanos = Number(fraction.padEnd(9, "0"));
  const negative = sign === "-" && (units > 0n || nanos > 0);
  return {
    $typeName: "kam.v1.Money",
    currencyCode,
    units: negative ? -units : units,
    nanos: negative ? -nanos : nanos,
  };
}

/** a + b in one currency, exact (for totals the server does not give). */
export function addMoney(a: Money, b: Money): Money {
  const total = a.units * NANOS_PER_UNIT + BigInt(a.nanos) + b.units * NANOS_PER_UNIT + BigInt(b.nanos);
  const units = total / NANOS_PER_UNIT;
  const nanos = Number(total % NANOS_PER_UNIT);
  return { $typeName: "kam.v1.Money", currencyCode: a.currencyCode, units, nanos };
}

/**
 * An amount scaled to a chart's pixels: the only place money becomes a float, and only for drawing.
 * Labels and tooltips always use `formatMoney`.
 */
export function chartValue(money: Pick<Money, "units" | "nanos">): number {
  return Number(money.units) + money.nanos / 1e9;
}

/** Per-currency sums, each formatted, e.g. "€1,000.00 · ¥5,000"; `none` when there are none. */
export function amountsText(
  sums: readonly { amount?: Money | undefined }[],
  locale: Locale,
  none: string,
): string {
  const shown = sums.flatMap((sum) => (sum.amount ? [formatMoney(sum.amount, locale)] : []));
  return shown.length === 0 ? none : shown.join(" · ");
}

/**
 * How much `now` changed against `before`, in whole percent rounded half away from zero, exact (no
 * float): `undefined` when `before` is not above zero (no comparison) or the currencies differ.
 */
export function changePercent(now: Money, before: Money): number | undefined {
  if (now.currencyCode !== before.currencyCode) return undefined;
  const b = before.units * NANOS_PER_UNIT + BigInt(before.nanos);
  if (b <= 0n) return undefined;
  const n = now.units * NANOS_PER_UNIT + BigInt(now.nanos);
  const scaled = (n - b) * 200n;
  const rounded = scaled >= 0n ? (scaled / b + 1n) / 2n : -((-scaled / b + 1n) / 2n);
  return Number(rounded);
}
