/**
 * The name a report row's segment shows: the segment's own (in Chinese when it has a Chinese name),
 * or for accounts not classified, their own free text marked as such.
 */
import type { SegmentKey } from "@kam/client";
import type { Locale } from "../i18n/i18n";
import { nameOfCode, type Segment } from "./model";

export function segmentKeyText(
  key: Pick<SegmentKey, "code" | "name"> | undefined,
  segments: readonly Segment[] | undefined,
  locale: Locale,
  t: { unclassified: string; unclassifiedAs: (text: string) => string },
): string {
  if (!key) return t.unclassified;
  if (key.code === "") return key.name === "" ? t.unclassified : t.unclassifiedAs(key.name);
  const known = segments?.some((segment) => segment.code === key.code);
  return known ? nameOfCode(segments, key.code, locale) : key.name || key.code;
}
