// Being built: replaced by the section itself before this lands.
import type { Account } from "@kam/client";

export function PlanSection({ account }: { account: Account }) {
  return <section className="card" aria-label="Plan">{account.displayName}</section>;
}
