/**
 * The key-person dossier: each contact's buying role, MAN qualification, attitude and relationship,
 * and the reports-to chart as nested lists (each person under the one they report to).
 */
import type { Contact } from "@kam/client";
import { useId } from "react";
import { useLoad } from "../../api/useLoad";
import { useApi } from "../../app/session";
import { useLocale, useMessages } from "../../i18n/i18n";
import { label } from "../../i18n/labels";
import { ErrorNotice } from "../../ui/ErrorNotice";
import { ATTITUDE, BUYING_ROLE, messages } from "./messages";
import { buildReportsToTree, type ContactNode } from "./model";

/** Contacts of one account read in one page: an account's key people are far fewer. */
const CONTACT_PAGE = 1000;

export function KeyPeople({ accountId }: { accountId: string }) {
  const t = useMessages(messages);
  const api = useApi();
  const headingId = useId();
  const contacts = useLoad(
    (signal) =>
      api.accounts.listContacts(
        { accountId, pageSize: CONTACT_PAGE, showInactive: true, orderBy: "full_name" },
        { signal },
      ),
    [api, accountId],
  );
  const list = contacts.data?.contacts ?? [];
  return (
    <section className="card" aria-labelledby={headingId}>
      <h2 id={headingId}>{t.peopleTitle}</h2>
      <ErrorNotice error={contacts.error} />
      {contacts.data && list.length === 0 && <p className="muted">{t.noContacts}</p>}
      {list.length > 0 && (
        <>
          <ContactTable contacts={list} />
          <ReportsToChart contacts={list} />
        </>
      )}
    </section>
  );
}

function ContactTable({ contacts }: { contacts: Contact[] }) {
  const t = useMessages(messages);
  const { locale } = useLocale();
  return (
    <div className="accounts-table-wrap">
      <table data-testid="contacts">
        <thead>
          <tr>
            <th scope="col">{t.name}</th>
            <th scope="col">{t.title}</th>
            <th scope="col">{t.buyingRole}</th>
            <th scope="col">{t.man}</th>
            <th scope="col">{t.attitude}</th>
            <th scope="col">{t.strength}</th>
          </tr>
        </thead>
        <tbody>
          {contacts.map((contact) => (
            <tr key={contact.id}>
              <th scope="row">
                {contact.fullName}
                {contact.active === false && <span className="muted small"> ({t.inactive})</span>}
              </th>
              <td>
                {contact.title}
                {contact.department !== "" && <div className="muted small">{contact.department}</div>}
              </td>
              <td>{contact.buyingRole ? label(BUYING_ROLE, locale, contact.buyingRole) : ""}</td>
              <td>
                <ManFlags contact={contact} />
              </td>
              <td>{contact.attitude ? label(ATTITUDE, locale, contact.attitude) : ""}</td>
              <td>{t.strengthOf(contact.relationshipStrength)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Money, Authority, Need: each flag held is named, so the cell reads the same to everyone. */
function ManFlags({ contact }: { contact: Contact }) {
  const t = useMessages(messages);
  const flags = [
    { held: contact.man?.hasMoney ?? false, name: t.money },
    { held: contact.man?.hasAuthority ?? false, name: t.authority },
    { held: contact.man?.hasNeed ?? false, name: t.need },
  ].filter((flag) => flag.held);
  return (
    <span className="man-flags">
      {flags.map((flag) => (
        <span key={flag.name} className="badge good">
          {flag.name}
        </span>
      ))}
    </span>
  );
}

function ReportsToChart({ contacts }: { contacts: Contact[] }) {
  const t = useMessages(messages);
  const headingId = useId();
  const forest = buildReportsToTree(contacts);
  return (
    <section className="reports-to" aria-labelledby={headingId} data-testid="reports-to">
      <h3 id={headingId}>{t.chart}</h3>
      <p className="muted small">{t.chartNote}</p>
      <PersonList nodes={forest} labelledBy={headingId} />
    </section>
  );
}

function PersonList({ nodes, labelledBy }: { nodes: ContactNode[]; labelledBy?: string }) {
  return (
    <ul className="person-tree" aria-labelledby={labelledBy}>
      {nodes.map((node) => (
        <PersonItem key={node.contact.id} node={node} />
      ))}
    </ul>
  );
}

function PersonItem({ node }: { node: ContactNode }) {
  const t = useMessages(messages);
  const { contact } = node;
  return (
    <li data-contact-id={contact.id}>
      <span className="person">
        <strong>{contact.fullName}</strong>
        {contact.title !== "" && <span className="muted"> · {contact.title}</span>}
        {node.managerMissing && <span className="muted small"> ({t.managerMissing})</span>}
        {node.cycleBroken && <span className="muted small"> ({t.cycleBroken})</span>}
      </span>
      {node.children.length > 0 && <PersonList nodes={node.children} />}
    </li>
  );
}
