/**
 * Applying the ranking (managers and administrators): a confirmation first, progress while the server
 * stores the tiers, then which accounts changed. The server ranks again when applying, so the result
 * shown is what it stored, not the preview.
 */
import type { RecomputeTiersResponse } from "@kam/client";
import { useState } from "react";
import { Link } from "../../app/router";
import { useApi } from "../../app/session";
import { useAction } from "../../api/useLoad";
import { useMessages } from "../../i18n/i18n";
import { ErrorNotice } from "../../ui/ErrorNotice";
import { messages } from "./messages";
import { TierBadge } from "./TierBadge";

/** Every changed account comes back, whatever the ranking's size (the server's maximum). */
const APPLIED_ROW_LIMIT = 10000;

export function ApplyRanking({ previewChanges, onApplied }: { previewChanges: number; onApplied: () => void }) {
  const t = useMessages(messages);
  const api = useApi();
  const [confirming, setConfirming] = useState(false);
  const [result, setResult] = useState<RecomputeTiersResponse | undefined>(undefined);
  const apply = useAction(() =>
    api.planning.recomputeTiers({ validateOnly: false, changedOnly: true, rowLimit: APPLIED_ROW_LIMIT }),
  );

  const confirm = async () => {
    const applied = await apply.run();
    setConfirming(false);
    if (applied) {
      setResult(applied);
      onApplied();
    }
  };

  return (
    <div className="apply-ranking">
      {!confirming && (
        <button
          type="button"
          onClick={() => {
            setResult(undefined);
            apply.clear();
            setConfirming(true);
          }}
        >
          {t.apply}
        </button>
      )}
      {confirming && (
        <div role="group" aria-labelledby="apply-confirm-title" className="card tiers-confirm">
          <h3 id="apply-confirm-title">{t.applyConfirmTitle}</h3>
          <p>{t.applyConfirmText(previewChanges)}</p>
          {apply.pending ? (
            <div role="status" className="tiers-running">
              <div className="progress tiers-indeterminate" aria-hidden="true">
                <span />
              </div>
              {t.applying}
            </div>
          ) : (
            <div className="tiers-buttons">
              <button type="button" onClick={() => void confirm()}>
                {t.applyConfirm}
              </button>
              <button type="button" className="secondary" onClick={() => setConfirming(false)}>
                {t.cancel}
              </button>
            </div>
          )}
        </div>
      )}
      <ErrorNotice error={apply.error} />
      {result && <AppliedResult result={result} onClose={() => setResult(undefined)} />}
    </div>
  );
}

function AppliedResult({ result, onClose }: { result: RecomputeTiersResponse; onClose: () => void }) {
  const t = useMessages(messages);
  return (
    <div role="status" className="card tiers-applied" data-testid="applied-result">
      <h3>{t.appliedTitle}</h3>
      <p>{result.changedCount === 0 ? t.appliedNone : t.appliedText(result.changedCount, result.accountCount)}</p>
      {result.rows.length > 0 && (
        <ul className="tiers-applied-list">
          {result.rows.map((row) => (
            <li key={row.accountId}>
              <Link to={{ page: "account", id: row.accountId }}>{row.accountDisplayName}</Link>{" "}
              <TierBadge tier={row.oldTier} /> → <TierBadge tier={row.newTier} proposed />
            </li>
          ))}
        </ul>
      )}
      {result.truncated && <p className="muted">{t.truncated(result.rows.length, result.changedCount)}</p>}
      <button type="button" className="secondary" onClick={onClose}>
        {t.dismiss}
      </button>
    </div>
  );
}
