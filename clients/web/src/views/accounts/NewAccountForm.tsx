/**
 * Creating an account (ADMIN and MANAGER): the server's refusal is shown whole, and each field it
 * names beside that field. A created account opens at once.
 */
import { Lifecycle, type Account } from "@kam/client";
import { useId, useState, type FormEvent } from "react";
import { useAction } from "../../api/useLoad";
import { navigate } from "../../app/router";
import { useApi } from "../../app/session";
import { useLocale, useMessages } from "../../i18n/i18n";
import { LIFECYCLE, label } from "../../i18n/labels";
import { SegmentPicker } from "../../segments/SegmentPicker";
import { useSegments } from "../../segments/useSegments";
import { ErrorNotice } from "../../ui/ErrorNotice";
import { messages } from "./messages";
import { accountFromDraft, EMPTY_DRAFT, violationsOf, type NewAccountDraft } from "./model";

const LIFECYCLES = [Lifecycle.PROSPECT, Lifecycle.ACTIVE, Lifecycle.DORMANT, Lifecycle.CHURNED];

export function NewAccountForm({ onCancel }: { onCancel: () => void }) {
  const t = useMessages(messages);
  const { locale } = useLocale();
  const api = useApi();
  const [draft, setDraft] = useState<NewAccountDraft>(EMPTY_DRAFT);
  // One request id per form: a retry after a lost answer creates nothing twice.
  const [requestId] = useState(() => crypto.randomUUID());
  const create = useAction((account: ReturnType<typeof accountFromDraft>) =>
    api.accounts.createAccount({ account, requestId }),
  );
  const titleId = useId();
  const segments = useSegments();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const created: Account | undefined = await create.run(accountFromDraft(draft));
    if (created) navigate({ page: "account", id: created.id });
  };
  const set = <K extends keyof NewAccountDraft>(key: K, value: NewAccountDraft[K]) =>
    setDraft((previous) => ({ ...previous, [key]: value }));
  const fields = create.error?.fields ?? [];

  return (
    <form className="card new-account" aria-labelledby={titleId} onSubmit={(event) => void submit(event)}>
      <h2 id={titleId}>{t.formTitle}</h2>
      <div className="form-grid">
        <TextField
          name="display_name"
          label={t.displayName}
          value={draft.displayName}
          onChange={(value) => set("displayName", value)}
          errors={violationsOf(fields, "display_name")}
          required
          requiredText={t.required}
        />
        <TextField
          name="legal_name"
          label={t.legalName}
          value={draft.legalName}
          onChange={(value) => set("legalName", value)}
          errors={violationsOf(fields, "legal_name")}
        />
        <TextField
          name="industry"
          label={t.industry}
          value={draft.industry}
          onChange={(value) => set("industry", value)}
          errors={violationsOf(fields, "industry")}
        />
        <TextField
          name="region"
          label={t.region}
          value={draft.region}
          onChange={(value) => set("region", value)}
          errors={violationsOf(fields, "region")}
        />
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
          <select
            name="lifecycle"
            value={draft.lifecycle}
            onChange={(event) => set("lifecycle", Number(event.target.value) as Lifecycle)}
          >
            {LIFECYCLES.map((lifecycle) => (
              <option key={lifecycle} value={lifecycle}>
                {label(LIFECYCLE, locale, lifecycle)}
              </option>
            ))}
          </select>
          <FieldErrors errors={violationsOf(fields, "lifecycle")} />
        </label>
      </div>
      <ErrorNotice error={create.error} />
      <div className="form-actions">
        <button type="submit" disabled={create.pending}>
          {create.pending ? t.creating : t.create}
        </button>
        <button type="button" className="secondary" onClick={onCancel}>
          {t.cancel}
        </button>
      </div>
    </form>
  );
}

function TextField({
  name,
  label: text,
  value,
  onChange,
  errors,
  required = false,
  requiredText,
}: {
  name: string;
  label: string;
  value: string;
  onChange: (value: string) => void;
  errors: string[];
  required?: boolean;
  requiredText?: string;
}) {
  const errorId = useId();
  return (
    <label>
      <span>
        {text}
        {required && <span className="muted"> ({requiredText})</span>}
      </span>
      <input
        name={name}
        value={value}
        onChange={(event) => onChange(event.target.value)}
        aria-invalid={errors.length > 0 ? "true" : undefined}
        aria-describedby={errors.length > 0 ? errorId : undefined}
      />
      <FieldErrors id={errorId} errors={errors} />
    </label>
  );
}

function FieldErrors({ id, errors }: { id?: string; errors: string[] }) {
  if (errors.length === 0) return null;
  return (
    <span id={id} className="field-error">
      {errors.join("; ")}
    </span>
  );
}
