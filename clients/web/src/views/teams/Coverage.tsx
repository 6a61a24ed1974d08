/**
 * Coverage gaps (GetCoverageReport): the accounts whose tier requires team roles or department liaisons
 * they lack. Requirements per tier are the server's configuration; the report says what is missing.
 */
import type { GetCoverageReportResponse } from "@kam/client";
import { Link } from "../../app/router";
import { useLocale, useMessages } from "../../i18n/i18n";
import { label, TEAM_ROLE } from "../../i18n/labels";
import { segmentMessages } from "../../segments/messages";
import { SegmentPicker } from "../../segments/SegmentPicker";
import { useSegments } from "../../segments/useSegments";
import { ErrorNotice } from "../../ui/ErrorNotice";
import type { KamError } from "@kam/client";
import { TierBadge } from "../tiers/TierBadge";
import { messages } from "./messages";

export function Coverage({
  report,
  error,
  loading,
  gapsOnly,
  onGapsOnly,
  industryCode,
  regionCode,
  onIndustryCode,
  onRegionCode,
}: {
  report: GetCoverageReportResponse | undefined;
  error: KamError | undefined;
  loading: boolean;
  gapsOnly: boolean;
  onGapsOnly: (value: boolean) => void;
  /** The accounts' industry and region (codes; "" for any). */
  industryCode: string;
  regionCode: string;
  onIndustryCode: (code: string) => void;
  onRegionCode: (code: string) => void;
}) {
  const t = useMessages(messages);
  const st = useMessages(segmentMessages);
  const segments = useSegments();
  const { locale } = useLocale();
  const accounts = report?.accounts ?? [];
  const gaps = accounts.filter((a) => a.missingRoles.length > 0 || a.missingLiaisons.length > 0).length;

  return (
    <section className="card" aria-labelledby="coverage-title" aria-busy={loading ? "true" : "false"}>
      <h2 id="coverage-title">{t.coverageTitle}</h2>
      <div className="filters">
        <label className="teams-check">
          <input type="checkbox" checked={gapsOnly} onChange={(event) => onGapsOnly(event.target.checked)} />
          {t.gapsOnly}
        </label>
        <SegmentPicker
          label={st.industry}
          name="industry_code"
          segments={segments.data?.industries}
          value={industryCode}
          onChange={onIndustryCode}
          emptyLabel={st.any}
        />
        <SegmentPicker
          label={st.region}
          name="region_code"
          segments={segments.data?.regions}
          value={regionCode}
          onChange={onRegionCode}
          emptyLabel={st.any}
        />
      </div>
      <ErrorNotice error={error} />
      {report && (
        <p className="muted" data-testid="coverage-summary">
          {gapsOnly ? t.gapsCount(gaps) : t.coveredOf(report.coveredCount, accounts.length)}
        </p>
      )}
      {report && accounts.length === 0 ? (
        <p className="muted">{gapsOnly ? t.noGaps : t.noCoverage}</p>
      ) : (
        accounts.length > 0 && (
          <div className="teams-scroll">
            <table data-testid="coverage-table">
              <thead>
                <tr>
                  <th scope="col">{t.account}</th>
                  <th scope="col">{t.tier}</th>
                  <th scope="col">{t.missingRoles}</th>
                  <th scope="col">{t.missingLiaisons}</th>
                </tr>
              </thead>
              <tbody>
                {accounts.map((account) => (
                  <tr key={account.accountId} data-account-id={account.accountId}>
                    <td>
                      <Link to={{ page: "account", id: account.accountId }}>{account.accountDisplayName}</Link>
                    </td>
                    <td>
                      <TierBadge tier={account.tier} />
                    </td>
                    <td>
                      {account.missingRoles.length === 0
                        ? t.none
                        : account.missingRoles.map((role) => (
                            <span key={role} className="badge bad teams-chip">
                              {label(TEAM_ROLE, locale, role)}
                            </span>
                          ))}
                    </td>
                    <td>
                      {account.missingLiaisons.length === 0
                        ? t.none
                        : account.missingLiaisons.map((code) => (
                            <span key={code} className="badge warn teams-chip">
                              <code>{code}</code>
                            </span>
                          ))}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )
      )}
    </section>
  );
}
