/**
 * Times arrive in UTC (google.protobuf.Timestamp) and are shown in the browser's time zone; calendar
 * dates (kam.v1.Date) have no zone and are shown as they are.
 */
import type { Date as KamDate } from "@kam/client";
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import type { Locale } from "../i18n/i18n";

/** e.g. `6 Dec 2026, 14:05` in the browser's zone; "" when absent. */
export function formatTime(time: Timestamp | undefined, locale: Locale): string {
  if (!time) {
    return "";
  }
  return new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short" }).format(
    timestampDate(time),
  );
}

/** e.g. `6 Dec 2026`; a recurring date (year 0) without its year. */
export function formatDate(date: KamDate | undefined, locale: Locale): string {
  if (!date || date.month === 0) {
    return "";
  }
  const utc = new Date(Date.UTC(date.year === 0 ? 2000 : date.year, date.month - 1, date.day));
  return new Intl.DateTimeFormat(locale, {
    timeZone: "UTC",
    day: "numeric",
    month: "short",
    ...(date.year === 0 ? {} : { year: "numeric" }),
  }).format(utc);
}

/** A duration in minutes for people: `45 min`, `3 h 20 min`, `2 d 4 h`; negative means overdue. */
export function formatMinutes(minutes: number, locale: Locale): string {
  const zh = locale === "zh-CN";
  const sign = minutes < 0 ? "-" : "";
  let rest = Math.abs(Math.round(minutes));
  const days = Math.floor(rest / 1440);
  rest -= days * 1440;
  const hours = Math.floor(rest / 60);
  const mins = rest - hours * 60;
  const parts: string[] = [];
  if (days > 0) parts.push(zh ? `${days}天` : `${days} d`);
  if (hours > 0 && parts.length < 2) parts.push(zh ? `${hours}小时` : `${hours} h`);
  if ((mins > 0 || parts.length === 0) && parts.length < 2) parts.push(zh ? `${mins}分钟` : `${mins} min`);
  return sign + parts.join(zh ? "" : " ");
}

/** The time between now and `time` in minutes (negative when it has passed). */
export function minutesUntil(time: Timestamp, now: Date = new Date()): number {
  return (timestampDate(time).getTime() - now.getTime()) / 60_000;
}
