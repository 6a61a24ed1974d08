/**
 * The industry and region trees (SegmentService) without React: the segments in tree order, the name
 * a locale shows, and the SegmentFilter a list or report sends.
 */
import type { Industry, Region } from "@kam/client";
import type { Locale } from "../i18n/i18n";

/** What the pickers need of an Industry or a Region. */
export type Segment = Pick<Industry | Region, "code" | "parentCode" | "name" | "nameZh" | "depth">;

/** A segment placed in its tree: `level` 0 for a top-level one (or one whose parent is not known). */
export interface PlacedSegment {
  segment: Segment;
  level: number;
}

/**
 * The segments depth first, each level by code (as the server orders them), children under their
 * parent. A segment whose parent is missing becomes a root; a cycle, should one ever arrive, is cut,
 * so every segment appears exactly once.
 */
export function treeOrder(segments: readonly Segment[]): PlacedSegment[] {
  const codes = new Set(segments.map((segment) => segment.code));
  const byParent = new Map<string, Segment[]>();
  const roots: Segment[] = [];
  for (const segment of segments) {
    if (segment.parentCode !== "" && segment.parentCode !== segment.code && codes.has(segment.parentCode)) {
      const children = byParent.get(segment.parentCode) ?? [];
      children.push(segment);
      byParent.set(segment.parentCode, children);
    } else {
      roots.push(segment);
    }
  }
  const byCode = (a: Segment, b: Segment) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0);
  const placed: PlacedSegment[] = [];
  const seen = new Set<string>();
  const visit = (start: Segment[]) => {
    const stack: PlacedSegment[] = [...start].sort(byCode).reverse().map((segment) => ({ segment, level: 0 }));
    while (stack.length > 0) {
      const next = stack.pop()!;
      if (seen.has(next.segment.code)) continue;
      seen.add(next.segment.code);
      placed.push(next);
      const children = [...(byParent.get(next.segment.code) ?? [])].sort(byCode).reverse();
      for (const child of children) stack.push({ segment: child, level: next.level + 1 });
    }
  };
  visit(roots);
  // Whatever is left sits on a cycle no root reaches.
  visit(segments.filter((segment) => !seen.has(segment.code)));
  return placed;
}

/** A segment's name in the locale: the Chinese name in Chinese when it has one. */
export function segmentName(segment: Pick<Segment, "name" | "nameZh">, locale: Locale): string {
  return locale === "zh-CN" && segment.nameZh !== "" ? segment.nameZh : segment.name;
}

/** The name of a code in the locale, or the code itself when the segment is not known. */
export function nameOfCode(segments: readonly Segment[] | undefined, code: string, locale: Locale): string {
  const found = segments?.find((segment) => segment.code === code);
  return found ? segmentName(found, locale) : code;
}

/** The SegmentFilter of two picked codes ("" for any). */
export function segmentFilter(industryCode: string, regionCode: string) {
  return { industryCode, regionCode };
}

/** The deepest level of a tree (1 for only top-level segments; 0 for none). */
export function maxDepth(segments: readonly Segment[]): number {
  return segments.reduce((deepest, segment) => Math.max(deepest, segment.depth), 0);
}
