/**
 * English and Simplified Chinese. Each room of the app keeps its own strings beside its code, written
 * with `defineMessages`, which makes the Chinese table name every English key with the same shape; a
 * view reads its table for the chosen locale with `useMessages`. Messages that take values are
 * functions, so a translation can put them where its grammar wants them.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";

export const LOCALES = ["en", "zh-CN"] as const;
export type Locale = (typeof LOCALES)[number];

/** A room's strings: text, or a function of the values it shows. */
export type Messages = Record<string, string | ((...values: never[]) => string)>;

/** Both locales of a room's strings; the Chinese table must match the English one key for key. */
export function defineMessages<T extends Messages>(tables: { en: T; "zh-CN": NoInfer<T> }) {
  return tables;
}

interface LocaleState {
  locale: Locale;
  setLocale: (locale: Locale) => void;
}

const LocaleContext = createContext<LocaleState>({ locale: "en", setLocale: () => undefined });

const STORAGE_KEY = "kam.locale";

/** The locale chosen before on this browser, else the browser's language when it is Chinese. */
export function initialLocale(stored: string | null, languages: readonly string[]): Locale {
  if (stored === "en" || stored === "zh-CN") {
    return stored;
  }
  return languages.some((language) => language.toLowerCase().startsWith("zh")) ? "zh-CN" : "en";
}

export function LocaleProvider({ children }: { children: ReactNode }) {
  const [locale, setLocaleState] = useState<Locale>(() =>
    initialLocale(localStorage.getItem(STORAGE_KEY), navigator.languages),
  );
  const setLocale = useCallback((next: Locale) => {
    localStorage.setItem(STORAGE_KEY, next);
    setLocaleState(next);
  }, []);
  // Screen readers and fonts follow the page's language.
  useEffect(() => {
    document.documentElement.lang = locale;
  }, [locale]);
  const value = useMemo(() => ({ locale, setLocale }), [locale, setLocale]);
  return <LocaleContext.Provider value={value}>{children}</LocaleContext.Provider>;
}

export function useLocale(): LocaleState {
  return useContext(LocaleContext);
}

/** The room's strings in the chosen locale. */
export function useMessages<T extends Messages>(tables: { en: T; "zh-CN": T }): T {
  return tables[useLocale().locale];
}
