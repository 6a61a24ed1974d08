/** English ⇄ 简体中文, remembered on this browser. */
import { useLocale, type Locale } from "../i18n/i18n";

const NAMES: Record<Locale, string> = { en: "English", "zh-CN": "简体中文" };

export function LocaleSwitch() {
  const { locale, setLocale } = useLocale();
  return (
    <select
      aria-label="Language / 语言"
      className="locale-switch"
      value={locale}
      onChange={(event) => setLocale(event.target.value as Locale)}
    >
      {(Object.keys(NAMES) as Locale[]).map((option) => (
        <option key={option} value={option} lang={option}>
          {NAMES[option]}
        </option>
      ))}
    </select>
  );
}
