/**
 * Tier overrides: the list everyone who reads accounts sees, and for managers and administrators the
 * form that sets one (tier and reason required, expiry optional) and the button that clears one.
 */
import { Tier, type TierOverride } from "@kam/client";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { useId, useState, type FormEvent, type RefObject } from "react";
import { Link } from "../../app/router";
import { useApi } from "../../app/session";
import { useAction, useLoad } from "../../api/useLoad";
import { formatTime } from "../../format/time";
import { useLocale, useMessages } from "../../i18n/i18n";
import { label, TIER } from "../../i18n/labels";
import { ErrorNotice } from "../../ui/ErrorNotice";
import { useAccountNames } from "../teams/useAccountNames";
import { messages } from "./messages";
import { expiryFromDateInput } from "./model";
import { TierBadge } from "./TierBadge";

const OVERRIDE_TIERS = [Tier.STRATEGIC, Tier.KEY, Tier.GROWTH, Tier.STANDARD] as const;

export interface AccountOption {
  id: string;
  name: string;
}

export function OverridesSection({
  manage,
  accounts,
  knownNames,
  draftAccountId,
  onDraftAccount,
  accountSelectRef,
  version,
  onChanged,
}: {
  manage: boolean;
  /** The accounts an override can be set for (from the ranking), by name. */
  accounts: readonly AccountOption[];
  knownNames: ReadonlyMap<string, string>;
  draftAccountId: string;
  onDraftAccount: (id: string) => void;
  accountSelectRef: RefObject<HTMLSelectElement | null>;
  /** Changes when something elsewhere on the page changed tiers. */
  version: number;
  onChanged: () => void;
}) {
  const t = useMessages(messages);
  const api = useApi();
  const [showExpired, setShowExpired] = useState(false);
  const [notice, setNotice] = useState("");
  const overrides = useLoad(
    (signal) => api.planning.listTierOverrides({ pageSize: 200, showExpired }, { signal }),
    [api, showExpired, version],
  );
  const list = overrides.data?.tierOverrides ?? [];
  const names = useAccountNames(
    list.map((o) => o.accountId),
    knownNames,
  );
  const nameOf = (id: string) => names.get(id) ?? id;
  const clear = useAction((accountId: string) => api.planning.clearTierOverride({ accountId }));

  const clearOne = async (accountId: string) => {
    setNotice("");
    if ((await clear.run(accountId)) !== undefined) {
      setNotice(t.overrideCleared(nameOf(accountId)));
      onChanged();
    }
  };

  return (
    <section className="card" aria-labelledby="overrides-title">
      <h2 id="overrides-title">{t.overridesTitle}</h2>
      <div className="filters">
        <label className="tiers-check">
          <input type="checkbox" checked={showExpired} onChange={(event) => setShowExpired(event.target.checked)} />
          {t.showExpired}
        </label>
      </div>
      <ErrorNotice error={overrides.error} />
      <ErrorNotice error={clear.error} />
      {notice && (
        <p role="status" className="tiers-notice">
          {notice}
        </p>
      )}
      {list.length === 0 && !overrides.loading ? (
        <p className="muted">{t.noOverrides}</p>
      ) : (
        <div className="tiers-scroll">
          <table data-testid="overrides-table">
            <thead>
              <tr>
                <th scope="col">{t.account}</th>
                <th scope="col">{t.tier}</th>
                <th scope="col">{t.reason}</th>
                <th scope="col">{t.expires}</th>
                <th scope="col">{t.setBy}</th>
                <th scope="col">{t.status}</th>
                {manage && <th scope="col">{t.actions}</th>}
              </tr>
            </thead>
            <tbody>
              {list.map((o) => (
                <OverrideRow
                  key={o.accountId}
                  override={o}
                  name={nameOf(o.accountId)}
                  {...(manage ? { onClear: () => void clearOne(o.accountId), clearing: clear.pending } : {})}
                />
              ))}
            </tbody>
          </table>
        </div>
      )}
      {manage && (
        <OverrideForm
          accounts={accounts}
          accountId={draftAccountId}
          onAccount={onDraftAccount}
          accountSelectRef={accountSelectRef}
          onSaved={(accountId) => {
            setNotice(t.overrideSaved(nameOf(accountId)));
            overrides.reload();
            onChanged();
          }}
        />
      )}
    </section>
  );
}

function OverrideRow({
  override,
  name,
  onClear,
  clearing,
}: {
  override: TierOverride;
  name: string;
  onClear?: () => void;
  clearing?: boolean;
}) {
  const t = useMessages(messages);
  const { locale } = useLocale();
  return (
    <tr data-account-id={override.accountId}>
      <td>
        <Link to={{ page: "account", id: override.accountId }}>{name}</Link>
      </td>
      <td>
        <TierBadge tier={override.tier} />
      </td>
      <td>{override.reason}</td>
      <td>{override.expireTime ? formatTime(override.expireTime, locale) : <span className="muted">{t.never}</span>}</td>
      <td>{formatTime(override.setTime, locale)}</td>
      <td>
        <span className={`badge ${override.active ? "good" : "warn"}`}>{override.active ? t.active : t.expired}</span>
      </td>
      {onClear && (
        <td>
          <button type="button" className="secondary tiers-small" disabled={clearing} aria-label={t.clearFor(name)} onClick={onClear}>
            {t.clear}
          </button>
        </td>
      )}
    </tr>
  );
}

function OverrideForm({
  accounts,
  accountId,
  onAccount,
  accountSelectRef,
  onSaved,
}: {
  accounts: readonly AccountOption[];
  accountId: string;
  onAccount: (id: string) => void;
  accountSelectRef: RefObject<HTMLSelectElement | null>;
  onSaved: (accountId: string) => void;
}) {
  const t = useMessages(messages);
  const { locale } = useLocale();
  const api = useApi();
  const ids = { account: useId(), tier: useId(), reason: useId(), expiry: useId(), dateError: useId() };
  const [tier, setTier] = useState<Tier>(Tier.STRATEGIC);
  const [reason, setReason] = useState("");
  const [expiry, setExpiry] = useState("");
  const expireDate = expiryFromDateInput(expiry);
  const save = useAction((expireTime: Date | undefined) =>
    api.planning.setTierOverride({
      tierOverride: {
        accountId,
        tier,
        reason,
        ...(expireTime ? { expireTime: timestampFromDate(expireTime) } : {}),
      },
    }),
  );

  // The server checks every field (and names the one at fault); the form only refuses a date it
  // cannot read, since an unreadable date cannot be sent at all.
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (expireDate === "invalid") return;
    const saved = await save.run(expireDate);
    if (saved) {
      setReason("");
      setExpiry("");
      onSaved(saved.accountId);
    }
  };

  return (
    <form className="tiers-override-form" onSubmit={(event) => void submit(event)} aria-labelledby="override-form-title">
      <h3 id="override-form-title">{t.setOverrideTitle}</h3>
      <div className="tiers-form-grid">
        <label htmlFor={ids.account}>{t.account}</label>
        <select id={ids.account} ref={accountSelectRef} value={accountId} onChange={(event) => onAccount(event.target.value)}>
          <option value="">{t.chooseAccount}</option>
          {accounts.map((account) => (
            <option key={account.id} value={account.id}>
              {account.name}
            </option>
          ))}
        </select>
        <label htmlFor={ids.tier}>{t.tier}</label>
        <select id={ids.tier} value={tier} onChange={(event) => setTier(Number(event.target.value))}>
          {OVERRIDE_TIERS.map((option) => (
            <option key={option} value={option}>
              {label(TIER, locale, option)}
            </option>
          ))}
        </select>
        <label htmlFor={ids.reason}>{t.overrideReason}</label>
        <textarea id={ids.reason} rows={2} value={reason} onChange={(event) => setReason(event.target.value)} />
        <label htmlFor={ids.expiry}>{t.expiryDate}</label>
        <div>
          <input
            id={ids.expiry}
            type="date"
            value={expiry}
            onChange={(event) => setExpiry(event.target.value)}
            aria-invalid={expireDate === "invalid"}
            aria-describedby={expireDate === "invalid" ? ids.dateError : undefined}
          />
          {expireDate === "invalid" && (
            <p id={ids.dateError} className="tiers-field-error">
              {t.invalidDate}
            </p>
          )}
        </div>
      </div>
      <ErrorNotice error={save.error} />
      <button type="submit" disabled={save.pending}>
        {save.pending ? t.saving : t.setOverride}
      </button>
    </form>
  );
}
