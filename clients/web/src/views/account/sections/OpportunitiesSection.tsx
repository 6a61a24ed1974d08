// Being built: replaced by the section itself before this lands.
import type { Account } from "@kam/client";

export function OpportunitiesSection({ account }: { account: Account }) {
  return <section className="card" aria-label="Opportunities">{account.displayName}</section>;
}
