/**
 * The account page without a DOM: the reports-to chart of the key people, the update an edit of the
 * header makes, the account's key dates as a form edits them, and the coverage gaps of one account
 * from the portfolio coverage report.
 */
import {
  KeyDateKind,
  Lifecycle,
  RadStatus,
  RelationshipStage,
  type Account,
  type AccountCoverage,
  type Contact,
  type KeyDate,
  type TeamRole,
} from "@kam/client";

// ---------------------------------------------------------------------------------------------------
// Reports-to chart
// ---------------------------------------------------------------------------------------------------

export interface ContactNode {
  contact: Contact;
  children: ContactNode[];
  /** The contact reports to someone not in the list (deleted, inactive, or not loaded). */
  managerMissing: boolean;
  /** The contact was made a root to break a reporting cycle (the server forbids them; kept safe). */
  cycleBroken: boolean;
}

/**
 * The contacts as a forest of who reports to whom. Every contact appears exactly once: those whose
 * manager is not in the list become roots (marked), and a cycle, should one ever arrive, is cut at
 * its first contact in list order, so the drawing always ends.
 */
export function buildReportsToTree(contacts: readonly Contact[]): ContactNode[] {
  const byId = new Map(contacts.map((contact) => [contact.id, contact]));
  const reportsOf = new Map<string, Contact[]>();
  const roots: Contact[] = [];
  for (const contact of contacts) {
    const managerId = contact.reportsToContactId;
    if (managerId !== "" && managerId !== contact.id && byId.has(managerId)) {
      const reports = reportsOf.get(managerId) ?? [];
      reports.push(contact);
      reportsOf.set(managerId, reports);
    } else {
      roots.push(contact);
    }
  }

  const placed = new Set<string>();
  // Iterative, so a very long chain cannot overflow the stack.
  const grow = (root: Contact, flags: { managerMissing: boolean; cycleBroken: boolean }): ContactNode => {
    const top: ContactNode = { contact: root, children: [], ...flags };
    placed.add(root.id);
    const stack: ContactNode[] = [top];
    while (stack.length > 0) {
      const node = stack.pop()!;
      for (const report of reportsOf.get(node.contact.id) ?? []) {
        if (placed.has(report.id)) continue;
        placed.add(report.id);
        const child: ContactNode = { contact: report, children: [], managerMissing: false, cycleBroken: false };
        node.children.push(child);
        stack.push(child);
      }
    }
    return top;
  };

  const forest = roots.map((root) =>
    grow(root, {
      managerMissing: root.reportsToContactId !== "" && root.reportsToContactId !== root.id,
      cycleBroken: root.reportsToContactId === root.id,
    }),
  );
  // Whoever is not placed yet sits on a cycle no root reaches.
  for (const contact of contacts) {
    if (!placed.has(contact.id)) forest.push(grow(contact, { managerMissing: false, cycleBroken: true }));
  }
  return forest;
}

/** How many contacts a forest holds (each once). */
export function countNodes(forest: readonly ContactNode[]): number {
  let count = 0;
  const stack = [...forest];
  while (stack.length > 0) {
    const node = stack.pop()!;
    count += 1;
    stack.push(...node.children);
  }
  return count;
}

// ---------------------------------------------------------------------------------------------------
// Editing the header
// ---------------------------------------------------------------------------------------------------

/** The header fields a person edits (UpdateAccount's updatable paths but the parent). */
export interface AccountDraft {
  displayName: string;
  legalName: string;
  industry: string;
  region: string;
  externalId: string;
  /** The Industry and Region codes the account is classified under; "" for none. */
  industryCode: string;
  regionCode: string;
  lifecycle: Lifecycle;
  relationshipStage: RelationshipStage;
  radStatus: RadStatus;
  changeReason: string;
}

export function draftOf(account: Account): AccountDraft {
  return {
    displayName: account.displayName,
    legalName: account.legalName,
    industry: account.industry,
    region: account.region,
    externalId: account.externalId,
    industryCode: account.industryCode,
    regionCode: account.regionCode,
    lifecycle: account.lifecycle,
    relationshipStage: account.relationshipStage,
    radStatus: account.radStatus,
    changeReason: "",
  };
}

const EDITABLE: readonly { key: keyof Omit<AccountDraft, "changeReason">; path: string }[] = [
  { key: "displayName", path: "display_name" },
  { key: "legalName", path: "legal_name" },
  { key: "industry", path: "industry" },
  { key: "region", path: "region" },
  { key: "externalId", path: "external_id" },
  { key: "industryCode", path: "industry_code" },
  { key: "regionCode", path: "region_code" },
  { key: "lifecycle", path: "lifecycle" },
  { key: "relationshipStage", path: "relationship_stage" },
  { key: "radStatus", path: "rad_status" },
];

/** The mask paths of what the draft changes (an explicit mask, so a field cleared to "" is written). */
export function changedPaths(account: Account, draft: AccountDraft): string[] {
  const original = draftOf(account);
  return EDITABLE.filter(({ key }) => normalise(draft[key]) !== normalise(original[key])).map(
    ({ path }) => path,
  );
}

function normalise(value: string | number): string | number {
  return typeof value === "string" ? value.trim() : value;
}

/** The server wants a reason when the relationship stage or RAD status changes. */
export function needsReason(paths: readonly string[]): boolean {
  return paths.includes("relationship_stage") || paths.includes("rad_status");
}

/** The UpdateAccount request for a draft: the stored etag guards against overwriting another's edit. */
export function updateRequest(account: Account, draft: AccountDraft) {
  const paths = changedPaths(account, draft);
  return {
    account: {
      id: account.id,
      etag: account.etag,
      displayName: draft.displayName.trim(),
      legalName: draft.legalName.trim(),
      industry: draft.industry.trim(),
      region: draft.region.trim(),
      externalId: draft.externalId.trim(),
      industryCode: draft.industryCode,
      regionCode: draft.regionCode,
      lifecycle: draft.lifecycle,
      relationshipStage: draft.relationshipStage,
      radStatus: draft.radStatus,
    },
    updateMask: { paths },
    changeReason: needsReason(paths) ? draft.changeReason.trim() : "",
  };
}

// ---------------------------------------------------------------------------------------------------
// Key dates
// ---------------------------------------------------------------------------------------------------

/** The kinds of key date an account takes (a contact's are BIRTHDAY, WORK_ANNIVERSARY and OTHER). */
export const ACCOUNT_KEY_DATE_KINDS: readonly KeyDateKind[] = [
  KeyDateKind.CONTRACT_RENEWAL,
  KeyDateKind.FOUNDING_ANNIVERSARY,
  KeyDateKind.CUSTOMER_EVENT,
  KeyDateKind.OTHER,
];

/** The kinds whose label the server requires (it says what the date is). */
export function labelRequired(kind: KeyDateKind): boolean {
  return kind === KeyDateKind.OTHER || kind === KeyDateKind.CUSTOMER_EVENT;
}

/** At most this many key dates per account. */
export const MAX_KEY_DATES = 20;

/** One key date as its form row holds it. */
export interface KeyDateDraft {
  kind: KeyDateKind;
  /** `<input type="date">`'s value, `YYYY-MM-DD`; "" until filled in. */
  date: string;
  /** A yearly date whose year nobody knows: the year in `date` is ignored (sent as 0). */
  yearUnknown: boolean;
  label: string;
  /** Falls once, on `date`, rather than every year. */
  oneTime: boolean;
}

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

export function keyDateDraftsOf(keyDates: readonly KeyDate[]): KeyDateDraft[] {
  return keyDates.map((keyDate) => {
    const date = keyDate.date;
    // A date input needs a year: a leap year, so that 29 February of an unknown year fits.
    const year = date && date.year > 0 ? date.year : 2000;
    return {
      kind: keyDate.kind,
      date: date && date.month > 0 ? `${pad(year, 4)}-${pad(date.month)}-${pad(date.day)}` : "",
      yearUnknown: date !== undefined && date.year === 0,
      label: keyDate.label,
      oneTime: keyDate.oneTime,
    };
  });
}

export function emptyKeyDateDraft(): KeyDateDraft {
  return { kind: KeyDateKind.CONTRACT_RENEWAL, date: "", yearUnknown: false, label: "", oneTime: false };
}

/** The fields of a KeyDate (without `$typeName`), as a request carries them. */
export interface KeyDateValue {
  kind: KeyDateKind;
  label: string;
  date: { year: number; month: number; day: number };
  oneTime: boolean;
}

/**
 * The key dates a form's rows make, or the index of each row whose date is missing (the one thing a
 * row cannot be sent without; every other rule is the server's, which names the row it refuses).
 */
export function keyDatesOf(drafts: readonly KeyDateDraft[]): { keyDates: KeyDateValue[]; missingDates: number[] } {
  const keyDates: KeyDateValue[] = [];
  const missingDates: number[] = [];
  drafts.forEach((draft, index) => {
    const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(draft.date);
    if (!match) {
      missingDates.push(index);
      return;
    }
    // A one-time date falls on a day of a given year: its year is always kept.
    const year = draft.yearUnknown && !draft.oneTime ? 0 : Number(match[1]);
    keyDates.push({
      kind: draft.kind,
      label: draft.label.trim(),
      date: { year, month: Number(match[2]), day: Number(match[3]) },
      oneTime: draft.oneTime,
    });
  });
  return { keyDates, missingDates };
}

/** The UpdateAccount request replacing the account's key dates (guarded by the etag it was read at). */
export function keyDatesUpdateRequest(account: Pick<Account, "id" | "etag">, keyDates: readonly KeyDateValue[]) {
  return {
    account: { id: account.id, etag: account.etag, keyDates: [...keyDates] },
    updateMask: { paths: ["key_dates"] },
    changeReason: "",
  };
}

/** The index of the key date a server's field path names (`account.key_dates[2].label` is 2). */
export function keyDateIndexOf(field: string): number | undefined {
  const match = /key_dates\[(\d+)\]/.exec(field);
  return match ? Number(match[1]) : undefined;
}

// ---------------------------------------------------------------------------------------------------
// Coverage
// ---------------------------------------------------------------------------------------------------

/** What one account's tier requires and it lacks. */
export type CoverageGaps =
  | { kind: "gaps"; missingRoles: TeamRole[]; missingLiaisons: string[] }
  /** Nothing the tier requires is missing (or the tier requires nothing). */
  | { kind: "covered" };

/**
 * GetCoverageReport has no account filter: the page asks for the gaps of the account's tier
 * (`gaps_only`, so a large tier answers with its uncovered accounts only) and picks its row. An
 * account absent from that report lacks nothing.
 */
export function coverageOf(report: readonly AccountCoverage[], accountId: string): CoverageGaps {
  const row = report.find((coverage) => coverage.accountId === accountId);
  if (!row) return { kind: "covered" };
  if (row.missingRoles.length === 0 && row.missingLiaisons.length === 0) return { kind: "covered" };
  return { kind: "gaps", missingRoles: [...row.missingRoles], missingLiaisons: [...row.missingLiaisons] };
}
