/** A tier as a coloured badge (the colours are in tiers.css); `proposed` marks the tier a ranking proposes. */
import { useLocale } from "../../i18n/i18n";
import { label, TIER } from "../../i18n/labels";
import "./tiers.css";

export function TierBadge({ tier, proposed = false }: { tier: number; proposed?: boolean }) {
  const { locale } = useLocale();
  return <span className={`badge tier-badge tier-${tier}${proposed ? " proposed" : ""}`}>{label(TIER, locale, tier)}</span>;
}
