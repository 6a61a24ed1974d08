/**
 * Who the account is: tier (and how it came to be), relationship stage, RAD status, lifecycle, group
 * parent, external id and its key dates; those who may edit accounts change it here, guarded by its
 * etag.
 */
import { Lifecycle, RadStatus, RelationshipStage, type Account } from "@kam/client";
import { useId, useState, type FormEvent, type ReactNode } from "react";
import { useAction, useLoad } from "../../api/useLoad";
import { Link } from "../../app/router";
import { useApi } from "../../app/session";
import { useLocale, useMessages } from "../../i18n/i18n";
import { LIFECYCLE, RAD_STATUS, RELATIONSHIP_STAGE, TIER, label } from "../../i18n/labels";
import { formatTime } from "../../format/time";
import { ErrorNotice } from "../../ui/ErrorNotice";
import { nameOfCode } from "../../segments/model";
import { SegmentPicker } from "../../segments/SegmentPicker";
import { useSegments } from "../../segments/useSegments";
import { KeyDates } from "./KeyDates";
import { messages } from "./messages";
import { changedPaths, draftOf, needsReason, updateRequest, type AccountDraft } from "./model";

export function AccountHeader({
  account,
  canEdit,
  onSaved,
}: {
  account: Account;
  canEdit: boolean;
  onSaved: (account: Account) => void;
}) {
  const t = useMessages(messages);
  const { locale } = useLocale();
  const [editing, setEditing] = useState(false);
  const segments = useSegments();
  return (
    <div className="card account-header">
      <dl className="facts">
        <Fact term={t.tier}>
          <span className="badge">{label(TIER, locale, account.tier)}</span>
        </Fact>
        <Fact term={t.relationshipStage}>{label(RELATIONSHIP_STAGE, locale, account.relationshipStage)}</Fact>
        <Fact term={t.radStatus}>{label(RAD_STATUS, locale, account.radStatus)}</Fact>
        <Fact term={t.lifecycle}>{label(LIFECYCLE, locale, account.lifecycle)}</Fact>
        <Fact term={t.legalName}>{account.legalName || <span className="muted">{t.none}</span>}</Fact>
        <Fact term={t.industry}>{account.industry || <span className="muted">{t.none}</span>}</Fact>
        <Fact term={t.region}>{account.region || <span className="muted">{t.none}</span>}</Fact>
        <Fact term={t.industryCode}>
          <span data-testid="account-industry-code">
            {account.industryCode === "" ? (
              <span className="muted">{t.notClassified}</span>
            ) : (
              nameOfCode(segments.data?.industries, account.industryCode, locale)
            )}
          </span>
        </Fact>
        <Fact term={t.regionCode}>
          <span data-testid="account-region-code">
            {account.regionCode === "" ? (
              <span className="muted">{t.notClassified}</span>
            ) : (
              nameOfCode(segments.data?.regions, account.regionCode, locale)
            )}
          </span>
        </Fact>
        <Fact term={t.parent}>
          <ParentLink parentId={account.parentAccountId} />
        </Fact>
        <Fact term={t.externalId}>
          {account.externalId ? <code>{account.externalId}</code> : <span className="muted">{t.none}</span>}
        </Fact>
      </dl>
      {account.deleteTime && <p className="badge bad">{t.deleted}</p>}
      <KeyDates account={account} canEdit={canEdit} onSaved={onSaved} />
      <TierHistory accountId={account.id} />
      {canEdit && !editing && (
        <button type="button" className="secondary" onClick={() => setEditing(true)}>
          {t.edit}
        </button>
      )}
      {editing && (
        <AccountEditForm
          account={account}
          onCancel={() => setEditing(false)}
          onSaved={(saved) => {
            setEditing(false);
            onSaved(saved);
          }}
        />
      )}
    </div>
  );
}

function Fact({ term, children }: { term: string; children: ReactNode }) {
  return (
    <div>
      <dt>{term}</dt>
      <dd>{children}</dd>
    </div>
  );
}

/** The group parent by name, as a link to it. */
function ParentLink({ parentId }: { parentId: string }) {
  const t = useMessages(messages);
  const api = useApi();
  const parent = useLoad(
    (signal) => (parentId === "" ? Promise.resolve(undefined) : api.accounts.getAccount({ id: parentId }, { signal })),
    [api, parentId],
  );
  if (parentId === "") return <span className="muted">{t.none}</span>;
  return <Link to={{ page: "account", id: parentId }}>{parent.data?.displayName ?? parentId}</Link>;
}

function TierHistory({ accountId }: { accountId: string }) {
  const t = useMessages(messages);
  const { locale } = useLocale();
  const api = useApi();
  const headingId = useId();
  const changes = useLoad(
    (signal) => api.planning.listTierChanges({ accountId, pageSize: 20 }, { signal }),
    [api, accountId],
  );
  const list = changes.data?.tierChanges ?? [];
  return (
    <section className="tier-history" aria-labelledby={headingId}>
      <h3 id={headingId}>{t.tierHistory}</h3>
      <ErrorNotice error={changes.error} />
      {changes.data && list.length === 0 && <p className="muted small">{t.noTierChanges}</p>}
      {list.length > 0 && (
        <ol className="tier-changes">
          {list.map((change) => (
            <li key={change.id}>
              <strong>{t.tierChange(label(TIER, locale, change.oldTier), label(TIER, locale, change.newTier))}</strong>{" "}
              <span className="muted">
                {formatTime(change.changeTime, locale)} · {t.bySource(change.source)}
                {change.note !== "" && ` · ${change.note}`}
              </span>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

const LIFECYCLES = [Lifecycle.PROSPECT, Lifecycle.ACTIVE, Lifecycle.DORMANT, Lifecycle.CHURNED];
const STAGES = [RelationshipStage.TRANSACTIONAL, RelationshipStage.VALUE_ADDED, RelationshipStage.STRATEGIC_PARTNER];
const RADS = [RadStatus.ACQUIRE, RadStatus.DEVELOP, RadStatus.RETAIN];

/**
 * The header's fields in a form. The etag read with the account goes with the update: if someone
 * else saved first, the server's ABORTED message is shown and the draft is kept.
 */
function AccountEditForm({
  account,
  onCancel,
  onSaved,
}: {
  account: Account;
  onCancel: () => void;
  onSaved: (account: Account) => void;
}) {
  const t = useMessages(messages);
  const { locale } = useLocale();
  const api = useApi();
  const titleId = useId();
  const [draft, setDraft] = useState<AccountDraft>(() => draftOf(account));
  const segments = useSegments();
  const save = useAction(() => api.accounts.updateAccount(updateRequest(account, draft)));
  const paths = changedPaths(account, draft);
  const set = <K extends keyof AccountDraft>(key: K, value: AccountDraft[K]) =>
    setDraft((previous) => ({ ...previous, [key]: value }));

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (paths.length === 0) return onCancel();
    const saved = await save.run();
    if (saved) onSaved(saved);
  };
  const fieldErrors = (field: string) =>
    (save.error?.fields ?? [])
      .filter((violation) => violation.field === field || violation.field.endsWith(`.${field}`))
      .map((violation) => violation.description)
      .join("; ");
  const text = (key: "displayName" | "legalName" | "industry" | "region" | "externalId", field: string, name: string) => (
    <label>
      {name}
      <input name={field} value={draft[key]} onChange={(event) => set(key, event.target.value)} />
      {fieldErrors(field) !== "" && <span className="field-error">{fieldErrors(field)}</span>}
    </label>
  );

  return (
    <form className="account-edit" aria-labelledby={titleId} onSubmit={(event) => void submit(event)}>
      <h3 id={titleId}>{t.editTitle}</h3>
      <div className="form-grid">
        {text("displayName", "display_name", t.displayName)}
        {text("legalName", "legal_name", t.legalName)}
        {text("industry", "industry", t.industry)}
        {text("region", "region", t.region)}
        {text("externalId", "external_id", t.externalId)}
        <SegmentPicker
          className="form-field"
          label={t.industryCode}
          name="industry_code"
          segments={segments.data?.industries}
          value={draft.industryCode}
          onChange={(code) => set("industryCode", code)}
          emptyLabel={t.notClassified}
        />
        <SegmentPicker
          className="form-field"
          label={t.regionCode}
          name="region_code"
          segments={segments.data?.regions}
          value={draft.regionCode}
          onChange={(code) => set("regionCode", code)}
          emptyLabel={t.notClassified}
        />
        <label>
          {t.lifecycle}
          <select name="lifecycle" value={draft.lifecycle} onChange={(event) => set("lifecycle", Number(event.target.value) as Lifecycle)}>
            {LIFECYCLES.map((value) => (
              <option key={value} value={value}>
                {label(LIFECYCLE, locale, value)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t.relationshipStage}
          <select
            name="relationship_stage"
            value={draft.relationshipStage}
            onChange={(event) => set("relationshipStage", Number(event.target.value) as RelationshipStage)}
          >
            {STAGES.map((value) => (
              <option key={value} value={value}>
                {label(RELATIONSHIP_STAGE, locale, value)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t.radStatus}
          <select name="rad_status" value={draft.radStatus} onChange={(event) => set("radStatus", Number(event.target.value) as RadStatus)}>
            {RADS.map((value) => (
              <option key={value} value={value}>
                {label(RAD_STATUS, locale, value)}
              </option>
            ))}
          </select>
        </label>
      </div>
      {needsReason(paths) && (
        <label className="change-reason">
          {t.changeReason}
          <textarea
            name="change_reason"
            rows={2}
            maxLength={500}
            value={draft.changeReason}
            onChange={(event) => set("changeReason", event.target.value)}
          />
          <span className="muted small">{t.changeReasonHint}</span>
          {fieldErrors("change_reason") !== "" && <span className="field-error">{fieldErrors("change_reason")}</span>}
        </label>
      )}
      <ErrorNotice error={save.error} />
      <div className="form-actions">
        <button type="submit" disabled={save.pending}>
          {save.pending ? t.saving : t.save}
        </button>
        <button type="button" className="secondary" onClick={onCancel}>
          {t.cancel}
        </button>
        {paths.length === 0 && <span className="muted small">{t.nothingChanged}</span>}
      </div>
    </form>
  );
}
