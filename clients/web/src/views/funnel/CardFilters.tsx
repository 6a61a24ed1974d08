/**
 * The board's own filters: region, forecast category and an amount range. The list API filters by
 * owner, account, pipeline and stage only, so these narrow the cards already loaded, and say so.
 */
import { useId } from "react";
import { useLocale, useMessages } from "../../i18n/i18n";
import { Field } from "./Field";
import { forecastLabel, funnelMessages } from "./messages";
import { OPEN_FORECAST_CATEGORIES, type CardFilterForm, type ReadCardFilter } from "./model";

export function CardFilters({
  form,
  read,
  regions,
  currencies,
  onChange,
}: {
  form: CardFilterForm;
  read: ReadCardFilter;
  regions: readonly string[];
  currencies: readonly string[];
  onChange: (form: CardFilterForm) => void;
}) {
  const t = useMessages(funnelMessages);
  const { locale } = useLocale();
  const groupId = useId();
  const set = (patch: Partial<CardFilterForm>) => onChange({ ...form, ...patch });
  const currencyOptions = form.currency !== "" && !currencies.includes(form.currency) ? [...currencies, form.currency] : currencies;
  return (
    <div className="filters funnel-card-filters" role="group" aria-label={t.filters} aria-describedby={`${groupId}-note`}>
      <Field label={t.region}>
        {(id) => (
          <select id={id} value={form.region} onChange={(event) => set({ region: event.target.value })}>
            <option value="">{t.any}</option>
            {regions.map((region) => (
              <option key={region} value={region}>
                {region}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field label={t.forecastCategory}>
        {(id) => (
          <select id={id} value={form.forecastCategory} onChange={(event) => set({ forecastCategory: event.target.value })}>
            <option value="">{t.any}</option>
            {OPEN_FORECAST_CATEGORIES.map((category) => (
              <option key={category} value={String(category)}>
                {forecastLabel(locale, category)}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field label={t.currency}>
        {(id) => (
          <select
            id={id}
            value={form.currency}
            onChange={(event) => set({ currency: event.target.value })}
            aria-invalid={read.currencyMissing}
            aria-describedby={read.currencyMissing ? `${groupId}-currency` : undefined}
          >
            <option value="">{t.any}</option>
            {currencyOptions.map((code) => (
              <option key={code} value={code}>
                {code}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field label={t.minAmount}>
        {(id) => (
          <input
            id={id}
            inputMode="decimal"
            size={12}
            value={form.min}
            onChange={(event) => set({ min: event.target.value })}
            aria-invalid={read.minError !== undefined}
            aria-describedby={read.minError ? `${groupId}-amount` : undefined}
          />
        )}
      </Field>
      <Field label={t.maxAmount}>
        {(id) => (
          <input
            id={id}
            inputMode="decimal"
            size={12}
            value={form.max}
            onChange={(event) => set({ max: event.target.value })}
            aria-invalid={read.maxError !== undefined}
            aria-describedby={read.maxError ? `${groupId}-amount` : undefined}
          />
        )}
      </Field>
      {(read.minError || read.maxError) && (
        <p id={`${groupId}-amount`} className="funnel-field-error">
          {t.amountInvalid}
        </p>
      )}
      {read.currencyMissing && (
        <p id={`${groupId}-currency`} className="funnel-field-error">
          {t.currencyForAmount}
        </p>
      )}
      <p id={`${groupId}-note`} className="muted funnel-note">
        {t.clientSideNote}
      </p>
    </div>
  );
}
