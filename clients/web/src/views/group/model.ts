/**
 * The group page without a DOM: which member a group health signal names, and the members as a tree
 * (the server lists them depth first, each level by name, with their depth).
 */
import type { GroupSummary_Member, HealthSignal } from "@kam/client";

/**
 * The member a group signal comes from: the server puts the member's account id among the signal's
 * related ids.
 */
export function memberOfSignal(
  signal: Pick<HealthSignal, "relatedIds">,
  members: readonly Pick<GroupSummary_Member, "accountId" | "displayName">[],
): Pick<GroupSummary_Member, "accountId" | "displayName"> | undefined {
  const ids = new Set(signal.relatedIds);
  return members.find((member) => ids.has(member.accountId));
}

/** Triggered signals first, heaviest first; the server's order otherwise. */
export function orderGroupSignals<S extends Pick<HealthSignal, "triggered" | "penalty">>(signals: readonly S[]): S[] {
  return [...signals].sort((a, b) => Number(b.triggered) - Number(a.triggered) || b.penalty - a.penalty);
}

/** A member's level in the tree shown: its depth below the account asked for (never negative). */
export function treeLevel(member: Pick<GroupSummary_Member, "depth">): number {
  return Math.max(0, member.depth);
}

/** How many of the members have subsidiaries among the members (so a row can say it is a parent). */
export function childCounts(members: readonly Pick<GroupSummary_Member, "accountId" | "parentAccountId">[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const member of members) {
    if (member.parentAccountId === "") continue;
    counts.set(member.parentAccountId, (counts.get(member.parentAccountId) ?? 0) + 1);
  }
  return counts;
}
