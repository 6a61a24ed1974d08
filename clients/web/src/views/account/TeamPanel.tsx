/**
 * The account's team: who serves it in which role, the department liaisons, and what its tier
 * requires but it lacks (the coverage report). ADMIN and MANAGER add and remove members.
 */
import { Role, TeamRole, type Account, type Department, type Staff, type TeamMember } from "@kam/client";
import { useEffect, useId, useState, type FormEvent } from "react";
import { useAction, useLoad } from "../../api/useLoad";
import { canManage, hasRole, useApi, useSession } from "../../app/session";
import { useLocale, useMessages } from "../../i18n/i18n";
import { TEAM_ROLE, label } from "../../i18n/labels";
import { formatTime } from "../../format/time";
import { ErrorNotice } from "../../ui/ErrorNotice";
import { messages } from "./messages";
import { coverageOf } from "./model";

const TEAM_ROLES = [
  TeamRole.ACCOUNT_MANAGER,
  TeamRole.EXECUTIVE_SPONSOR,
  TeamRole.SALES_SPECIALIST,
  TeamRole.SOLUTION_ENGINEER,
  TeamRole.SERVICE_LEAD,
  TeamRole.MARKETING_PARTNER,
  TeamRole.LOGISTICS_COORDINATOR,
  TeamRole.RND_PARTNER,
];

interface TeamData {
  members: TeamMember[];
  /** The members' staff records by id (a team is short: one GetStaff each). */
  staff: Map<string, Staff>;
}

export function TeamPanel({ account }: { account: Account }) {
  const t = useMessages(messages);
  const api = useApi();
  const { me } = useSession();
  const headingId = useId();
  const mayManage = canManage(me);
  // GetCoverageReport needs READ_REPORTS, which a MEMBER or SERVICE_AGENT lacks.
  const readsReports = hasRole(me, Role.ADMIN, Role.EXECUTIVE, Role.MANAGER);

  const team = useLoad(async (signal): Promise<TeamData> => {
    const { members } = await api.teams.listTeamMembers({ accountId: account.id, pageSize: 200 }, { signal });
    const ids = [...new Set(members.map((member) => member.staffId))];
    const staff = await Promise.all(
      ids.map((id) => api.teams.getStaff({ id }, { signal }).catch(() => undefined)),
    );
    return { members, staff: new Map(staff.filter((s) => s !== undefined).map((s) => [s.id, s])) };
  }, [api, account.id]);
  const departments = useLoad((signal) => api.teams.listDepartments({}, { signal }), [api]);
  const coverage = useLoad(
    (signal) =>
      readsReports
        ? api.teams.getCoverageReport({ tiers: [account.tier], gapsOnly: true }, { signal })
        : Promise.resolve(undefined),
    [api, account.id, account.tier, readsReports],
  );
  const reload = () => {
    team.reload();
    coverage.reload();
    // A new member may come from a department created since the page opened.
    departments.reload();
  };
  const departmentsById = new Map((departments.data?.departments ?? []).map((d) => [d.id, d]));

  return (
    <section className="card" aria-labelledby={headingId}>
      <h2 id={headingId}>{t.teamTitle}</h2>
      <ErrorNotice error={team.error} />
      {team.data && (
        <MemberTable
          members={team.data.members}
          staff={team.data.staff}
          departments={departmentsById}
          mayManage={mayManage}
          onChanged={reload}
        />
      )}
      {readsReports ? (
        <CoverageGaps
          report={coverage.data?.accounts}
          accountId={account.id}
          departments={departments.data?.departments ?? []}
          error={coverage.error}
        />
      ) : (
        <p className="muted small">{t.coverageNotShown}</p>
      )}
      {mayManage && !account.deleteTime && <AddMemberForm accountId={account.id} onAdded={reload} />}
    </section>
  );
}

function MemberTable({
  members,
  staff,
  departments,
  mayManage,
  onChanged,
}: {
  members: TeamMember[];
  staff: Map<string, Staff>;
  departments: Map<string, Department>;
  mayManage: boolean;
  onChanged: () => void;
}) {
  const t = useMessages(messages);
  const { locale } = useLocale();
  const api = useApi();
  const remove = useAction((member: TeamMember) => api.teams.removeTeamMember({ id: member.id, etag: member.etag }));
  if (members.length === 0) return <p className="muted">{t.noMembers}</p>;
  const nameOf = (member: TeamMember) => staff.get(member.staffId)?.fullName ?? t.unknownStaff;
  return (
    <>
      <table className="team-table" data-testid="team-members">
        <thead>
          <tr>
            <th scope="col">{t.member}</th>
            <th scope="col">{t.teamRole}</th>
            <th scope="col">{t.department}</th>
            <th scope="col">{t.liaison}</th>
            <th scope="col">{t.since}</th>
            {mayManage && <th scope="col">{t.actions}</th>}
          </tr>
        </thead>
        <tbody>
          {members.map((member) => (
            <tr key={member.id}>
              <th scope="row">{nameOf(member)}</th>
              <td>{label(TEAM_ROLE, locale, member.role)}</td>
              <td>{departments.get(member.departmentId)?.displayName ?? ""}</td>
              <td>{member.isDepartmentLiaison ? t.yes : ""}</td>
              <td>{formatTime(member.startTime, locale)}</td>
              {mayManage && (
                <td>
                  <button
                    type="button"
                    className="secondary"
                    aria-label={t.removeMember(nameOf(member))}
                    disabled={remove.pending}
                    onClick={() => void remove.run(member).then((done) => done && onChanged())}
                  >
                    {t.remove}
                  </button>
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
      <ErrorNotice error={remove.error} />
    </>
  );
}

function CoverageGaps({
  report,
  accountId,
  departments,
  error,
}: {
  report: Parameters<typeof coverageOf>[0] | undefined;
  accountId: string;
  departments: Department[];
  error: Parameters<typeof ErrorNotice>[0]["error"];
}) {
  const t = useMessages(messages);
  const { locale } = useLocale();
  const headingId = useId();
  const gaps = report ? coverageOf(report, accountId) : undefined;
  const departmentName = (code: string) => departments.find((d) => d.code === code)?.displayName || code;
  return (
    <section className="coverage" aria-labelledby={headingId} data-testid="coverage-gaps">
      <h3 id={headingId}>{t.coverage}</h3>
      <ErrorNotice error={error} />
      {gaps?.kind === "covered" && <p className="badge good">{t.coverageCovered}</p>}
      {gaps?.kind === "gaps" && (
        <div className="gap-lists">
          {gaps.missingRoles.length > 0 && (
            <div>
              <h4>{t.missingRoles}</h4>
              <ul data-testid="missing-roles">
                {gaps.missingRoles.map((role) => (
                  <li key={role} className="badge warn">
                    {label(TEAM_ROLE, locale, role)}
                  </li>
                ))}
              </ul>
            </div>
          )}
          {gaps.missingLiaisons.length > 0 && (
            <div>
              <h4>{t.missingLiaisons}</h4>
              <ul data-testid="missing-liaisons">
                {gaps.missingLiaisons.map((code) => (
                  <li key={code} className="badge warn">
                    {departmentName(code)}
                  </li>
                ))}
              </ul>
            </div>
          )}
        </div>
      )}
    </section>
  );
}

/** Typing settles for this long before staff are searched. */
const TYPING_PAUSE_MS = 250;

function AddMemberForm({ accountId, onAdded }: { accountId: string; onAdded: () => void }) {
  const t = useMessages(messages);
  const { locale } = useLocale();
  const api = useApi();
  const titleId = useId();
  const [query, setQuery] = useState("");
  const [settledQuery, setSettledQuery] = useState("");
  const [staffId, setStaffId] = useState("");
  const [role, setRole] = useState<TeamRole>(TeamRole.ACCOUNT_MANAGER);
  const [liaison, setLiaison] = useState(false);
  useEffect(() => {
    const timer = window.setTimeout(() => setSettledQuery(query.trim()), TYPING_PAUSE_MS);
    return () => window.clearTimeout(timer);
  }, [query]);
  const candidates = useLoad(
    (signal) => api.teams.listStaff({ query: settledQuery, pageSize: 50 }, { signal }),
    [api, settledQuery],
  );
  const staff = candidates.data?.staff ?? [];
  const chosen = staff.some((s) => s.id === staffId) ? staffId : "";
  const add = useAction(() =>
    api.teams.addTeamMember({
      member: { accountId, staffId: chosen, role, isDepartmentLiaison: liaison },
      requestId: crypto.randomUUID(),
    }),
  );
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (await add.run()) {
      setStaffId("");
      setLiaison(false);
      onAdded();
    }
  };

  return (
    <form className="add-member" aria-labelledby={titleId} onSubmit={(event) => void submit(event)}>
      <h3 id={titleId}>{t.addMember}</h3>
      <div className="form-grid">
        <label>
          {t.findStaff}
          <input
            type="search"
            name="staff_query"
            placeholder={t.findStaffHint}
            value={query}
            onChange={(event) => setQuery(event.target.value)}
          />
        </label>
        <label>
          {t.staff}
          <select name="staff_id" value={chosen} onChange={(event) => setStaffId(event.target.value)}>
            <option value="">{t.chooseStaff}</option>
            {staff.map((s) => (
              <option key={s.id} value={s.id}>
                {s.fullName} ({s.email})
              </option>
            ))}
          </select>
        </label>
        <label>
          {t.teamRole}
          <select name="team_role" value={role} onChange={(event) => setRole(Number(event.target.value))}>
            {TEAM_ROLES.map((value) => (
              <option key={value} value={value}>
                {label(TEAM_ROLE, locale, value)}
              </option>
            ))}
          </select>
        </label>
        <label className="checkbox">
          <input type="checkbox" name="liaison" checked={liaison} onChange={(event) => setLiaison(event.target.checked)} />
          {t.liaison}
        </label>
      </div>
      <ErrorNotice error={add.error ?? candidates.error} />
      <button type="submit" disabled={add.pending || chosen === ""}>
        {add.pending ? t.adding : t.add}
      </button>
    </form>
  );
}
