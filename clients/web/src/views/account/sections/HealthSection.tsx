/**
 * The account's health: its score out of 100, the band it falls in, and every signal the server
 * checked with what it saw, so a reader knows why the score is what it is (triggered signals first).
 */
import { AccountHealth_Level, type Account, type HealthSignal } from "@kam/client";
import { useApi } from "../../../app/session";
import { useLoad } from "../../../api/useLoad";
import { defineMessages, useLocale, useMessages } from "../../../i18n/i18n";
import { HEALTH_LEVEL as LEVEL, HEALTH_SIGNAL as SIGNAL, label } from "../../../i18n/labels";
import { formatTime } from "../../../format/time";
import { Loading, SectionFrame } from "./SectionFrame";

const messages = defineMessages({
  en: {
    title: "Health",
    loading: "Loading health…",
    score: "Health score",
    outOf: (score: number) => `${score} of 100`,
    computed: (time: string) => `Computed ${time}`,
    signal: "Signal",
    state: "State",
    penalty: "Points off",
    evidence: "What was seen",
    triggered: "Triggered",
    clear: "Clear",
    penaltyOf: (penalty: number, weight: number) => `${penalty} / ${weight}`,
  },
  "zh-CN": {
    title: "客户健康度",
    loading: "正在加载健康度…",
    score: "健康评分",
    outOf: (score: number) => `${score} / 100 分`,
    computed: (time: string) => `计算于 ${time}`,
    signal: "预警信号",
    state: "状态",
    penalty: "扣分",
    evidence: "依据",
    triggered: "已触发",
    clear: "正常",
    penaltyOf: (penalty: number, weight: number) => `${penalty} / ${weight}`,
  },
});

const LEVEL_TONE: Partial<Record<AccountHealth_Level, string>> = {
  [AccountHealth_Level.HEALTHY]: "good",
  [AccountHealth_Level.WATCH]: "warn",
  [AccountHealth_Level.AT_RISK]: "bad",
};

export function HealthSection({ account }: { account: Account }) {
  const api = useApi();
  const t = useMessages(messages);
  const { locale } = useLocale();
  const health = useLoad((signal) => api.planning.getAccountHealth({ accountId: account.id }, { signal }), [api, account.id]);
  const data = health.data;

  return (
    <SectionFrame title={t.title} testId="health-section" error={health.error} loading={health.loading}>
      {!data && health.loading && <Loading text={t.loading} />}
      {data && (
        <>
          <div className="health-score">
            <span className="score" aria-label={`${t.score}: ${t.outOf(data.score)}`}>
              {data.score}
            </span>
            <span className={`badge ${LEVEL_TONE[data.level] ?? ""}`} data-testid="health-level">
              {label(LEVEL, locale, data.level)}
            </span>
            <div
              className="progress score-meter"
              role="meter"
              aria-label={t.score}
              aria-valuemin={0}
              aria-valuemax={100}
              aria-valuenow={data.score}
              aria-valuetext={t.outOf(data.score)}
            >
              <span style={{ width: `${data.score}%` }} />
            </div>
          </div>
          {data.computeTime && <p className="muted">{t.computed(formatTime(data.computeTime, locale))}</p>}
          <table>
            <thead>
              <tr>
                <th scope="col">{t.signal}</th>
                <th scope="col">{t.state}</th>
                <th scope="col" className="number">
                  {t.penalty}
                </th>
                <th scope="col">{t.evidence}</th>
              </tr>
            </thead>
            <tbody>
              {orderSignals(data.signals).map((signal) => (
                <tr key={signal.kind} className={signal.triggered ? "health-signal-triggered" : undefined}>
                  <td>{label(SIGNAL, locale, signal.kind)}</td>
                  <td>
                    <span className={`badge ${signal.triggered ? "bad" : "good"}`}>
                      {signal.triggered ? t.triggered : t.clear}
                    </span>
                  </td>
                  <td className="number">{t.penaltyOf(signal.penalty, signal.weight)}</td>
                  <td>{signal.evidence}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </SectionFrame>
  );
}

/** Triggered signals first, heaviest first; the server's order otherwise. */
function orderSignals(signals: readonly HealthSignal[]): HealthSignal[] {
  return [...signals].sort((a, b) => Number(b.triggered) - Number(a.triggered) || b.penalty - a.penalty);
}
