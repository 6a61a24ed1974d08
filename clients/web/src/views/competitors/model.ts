/**
 * The competitor pages without a DOM: the report's period and request, win rates as text, and the
 * competitor form's draft and the update it makes.
 */
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { Competitor } from "@kam/client";

/** What the report is asked for: plain values, so they can be a hook's dependencies. */
export interface ReportInputs {
  /** `yyyy-mm-dd` in the browser's zone: from the start of `since` to the end of `until`. */
  since: string;
  until: string;
  industryCode: string;
  regionCode: string;
  competitorId: string;
  rollupDepth: number;
}

const pad = (n: number) => String(n).padStart(2, "0");

/** A local day as `yyyy-mm-dd`. */
export function dayText(date: Date): string {
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** The default period: the twelve months up to and including today. */
export function defaultPeriod(today: Date): { since: string; until: string } {
  const since = new Date(today.getFullYear() - 1, today.getMonth(), today.getDate() + 1);
  return { since: dayText(since), until: dayText(today) };
}

/** The `[start, end)` of two days in the browser's zone (the end is the day after `until`). */
export function periodOf(since: string, until: string): { start: Date; end: Date } | undefined {
  const day = (text: string, offset: number) => {
    const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
    return match ? new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3]) + offset) : undefined;
  };
  const start = day(since, 0);
  const end = day(until, 1);
  if (!start || !end || end <= start) return undefined;
  return { start, end };
}

/** How many accounts the report names per competitor. */
export const TOP_ACCOUNTS = 5;

/** The GetCompetitorReport request for the inputs; `undefined` while the period is not a range. */
export function reportRequest(inputs: ReportInputs) {
  const period = periodOf(inputs.since, inputs.until);
  if (!period) return undefined;
  return {
    startTime: timestampFromDate(period.start),
    endTime: timestampFromDate(period.end),
    segments: { industryCode: inputs.industryCode, regionCode: inputs.regionCode },
    competitorId: inputs.competitorId,
    topAccounts: TOP_ACCOUNTS,
    rollupDepth: inputs.rollupDepth,
  };
}

/** A win rate in [0, 1] as a percent with one decimal, e.g. `66.7`. */
export function rateText(rate: number): string {
  return (Math.round(rate * 1000) / 10).toFixed(1);
}

// ---------------------------------------------------------------------------------------------------
// The competitor form
// ---------------------------------------------------------------------------------------------------

export interface CompetitorDraft {
  name: string;
  /** One alias a line (commas also separate). */
  aliases: string;
  website: string;
  strengths: string;
  weaknesses: string;
  homeRegionCodes: string[];
}

export const EMPTY_COMPETITOR: CompetitorDraft = {
  name: "",
  aliases: "",
  website: "",
  strengths: "",
  weaknesses: "",
  homeRegionCodes: [],
};

export function competitorDraftOf(competitor: Competitor): CompetitorDraft {
  return {
    name: competitor.name,
    aliases: competitor.aliases.join("\n"),
    website: competitor.website,
    strengths: competitor.strengths,
    weaknesses: competitor.weaknesses,
    homeRegionCodes: [...competitor.homeRegionCodes],
  };
}

/** The aliases of a text: one a line or comma, trimmed, empty ones and repeats (ignoring case) dropped. */
export function aliasesOf(text: string): string[] {
  const seen = new Set<string>();
  const aliases: string[] = [];
  for (const part of text.split(/[\n,]/)) {
    const alias = part.trim();
    if (alias === "" || seen.has(alias.toLowerCase())) continue;
    seen.add(alias.toLowerCase());
    aliases.push(alias);
  }
  return aliases;
}

/** The competitor's fields a draft makes, trimmed. */
export function competitorOf(draft: CompetitorDraft) {
  return {
    name: draft.name.trim(),
    aliases: aliasesOf(draft.aliases),
    website: draft.website.trim(),
    strengths: draft.strengths.trim(),
    weaknesses: draft.weaknesses.trim(),
    homeRegionCodes: [...draft.homeRegionCodes],
  };
}

const same = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((item, index) => item === b[index]);

/** The UpdateCompetitor request of an edit: only what changed, guarded by the etag read. */
export function competitorUpdate(competitor: Competitor, draft: CompetitorDraft) {
  const next = competitorOf(draft);
  const paths: string[] = [];
  if (next.name !== competitor.name) paths.push("name");
  if (!same(next.aliases, competitor.aliases)) paths.push("aliases");
  if (next.website !== competitor.website) paths.push("website");
  if (next.strengths !== competitor.strengths) paths.push("strengths");
  if (next.weaknesses !== competitor.weaknesses) paths.push("weaknesses");
  if (!same([...next.homeRegionCodes].sort(), [...competitor.homeRegionCodes].sort())) paths.push("home_region_codes");
  return { competitor: { id: competitor.id, etag: competitor.etag, ...next }, updateMask: { paths } };
}
