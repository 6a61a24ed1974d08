/**
 * The account page without a DOM: the reports-to chart of the key people, the update an edit of the
 * header makes, and the coverage gaps of one account from the portfolio coverage report.
 */
import {
  Lifecycle,
  RadStatus,
  RelationshipStage,
  type Account,
  type AccountCoverage,
  type Contact,
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
      lifecycle: draft.lifecycle,
      relationshipStage: draft.relationshipStage,
      radStatus: draft.radStatus,
    },
    updateMask: { paths },
    changeReason: needsReason(paths) ? draft.changeReason.trim() : "",
  };
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
