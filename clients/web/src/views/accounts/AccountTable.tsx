/** The account rows with their portfolio figures; "—" where a figure is not known. */
import type { ReactNode } from "react";
import { Link } from "../../app/router";
import { useLocale, useMessages } from "../../i18n/i18n";
import { LIFECYCLE, TIER, label } from "../../i18n/labels";
import { formatDate } from "../../format/time";
import { messages } from "./messages";
import { healthTone, type AccountRow, type Figure } from "./model";

export function AccountTable({ rows }: { rows: readonly AccountRow[] }) {
  const t = useMessages(messages);
  return (
    <div className="accounts-table-wrap">
      <table data-testid="account-list" className="accounts-table">
        <caption className="visually-hidden">{t.tableCaption}</caption>
        <thead>
          <tr>
            <th scope="col">{t.account}</th>
            <th scope="col">{t.tier}</th>
            <th scope="col" className="number">
              {t.health}
            </th>
            <th scope="col">{t.tickets}</th>
            <th scope="col">{t.cadence}</th>
            <th scope="col">{t.nextKeyDate}</th>
            <th scope="col">{t.region}</th>
            <th scope="col">{t.industry}</th>
            <th scope="col">{t.lifecycle}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <AccountRowView key={row.account.id} row={row} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

function AccountRowView({ row }: { row: AccountRow }) {
  const t = useMessages(messages);
  const { locale } = useLocale();
  const { account } = row;
  return (
    <tr data-account-id={account.id}>
      <th scope="row">
        <Link to={{ page: "account", id: account.id }}>{account.displayName}</Link>
        {account.legalName !== "" && account.legalName !== account.displayName && (
          <div className="muted small">{account.legalName}</div>
        )}
      </th>
      <td>{label(TIER, locale, account.tier)}</td>
      <td className="number">
        <FigureCell figure={row.health} none={t.unknown}>
          {(health) => <span className={`badge ${healthTone(health)}`}>{health.score}</span>}
        </FigureCell>
      </td>
      <td>
        <FigureCell figure={row.sla} none={t.none}>
          {(sla) =>
            sla.atRisk + sla.breached === 0 ? (
              <span className="muted">0</span>
            ) : (
              <span>
                {sla.breached > 0 && <span className="badge bad">{sla.breached}</span>}{" "}
                {sla.atRisk > 0 && <span className="badge warn">{sla.atRisk}</span>}{" "}
                <span className="visually-hidden">{t.ticketCounts(sla.atRisk, sla.breached)}</span>
              </span>
            )
          }
        </FigureCell>
      </td>
      <td>
        <FigureCell figure={row.cadence} none={t.none}>
          {(cadence) => (
            <span className="badge warn" title={t.kindsOverdue(cadence.count)}>
              {t.daysOverdue(cadence.daysOverdue)}
            </span>
          )}
        </FigureCell>
      </td>
      <td>
        <FigureCell figure={row.nextKeyDate} none={t.none}>
          {(keyDate) => (
            <span>
              {formatDate(keyDate.date, locale)} <span className="muted">({t.inDays(keyDate.daysUntil)})</span>
              <div className="muted small">
                {keyDate.contactName}
                {keyDate.label !== "" && ` · ${keyDate.label}`}
              </div>
            </span>
          )}
        </FigureCell>
      </td>
      <td>{account.region}</td>
      <td>{account.industry}</td>
      <td>{label(LIFECYCLE, locale, account.lifecycle)}</td>
    </tr>
  );
}

/** A figure's value, its "none" text, or "—" (with a spoken "unknown") when it is not known. */
function FigureCell<T>({
  figure,
  none,
  children,
}: {
  figure: Figure<T>;
  none: string;
  children: (value: T) => ReactNode;
}) {
  const t = useMessages(messages);
  if (!figure.known) {
    return (
      <span className="muted" title={t.unknownLabel}>
        <span aria-hidden="true">{t.unknown}</span>
        <span className="visually-hidden">{t.unknownLabel}</span>
      </span>
    );
  }
  if (figure.value === null) return <span className="muted">{none}</span>;
  return <>{children(figure.value)}</>;
}
