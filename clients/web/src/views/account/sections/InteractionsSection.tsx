// Being built: replaced by the section itself before this lands.
import type { Account } from "@kam/client";

export function InteractionsSection({ account }: { account: Account }) {
  return <section className="card" aria-label="Interactions">{account.displayName}</section>;
}
