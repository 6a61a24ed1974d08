/**
 * Who is signed in. The credential (an API key or an SSO bearer token) is kept in sessionStorage: it
 * lives as long as the browser tab and is never written anywhere that outlasts it. WhoAmI tells the
 * app the caller's roles so it can offer what they may do; the server still decides every call.
 */
import { describeError, Role, type KamError, type WhoAmIResponse } from "@kam/client";
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { createApi, type Api } from "../api/clients";

const STORAGE_KEY = "kam.credential";


export interface Session {
  api: Api;
  me: WhoAmIResponse;
  signOut: () => void;
}

type SessionState =
  | { status: "signed_out"; error?: KamError }
  | { status: "checking" }
  | { status: "signed_in"; me: WhoAmIResponse };

const SessionContext = createContext<Session | undefined>(undefined);

/** The signed-in session; only views under `SessionGate` call it. */
export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error("useSession outside a signed-in session");
  return session;
}

export function useApi(): Api {
  return useSession().api;
}

/** What the caller's roles allow, for offering actions; the server remains the authority. */
export function hasRole(me: WhoAmIResponse, ...roles: Role[]): boolean {
  return me.roles.some((role) => roles.includes(role));
}

/** ADMIN and MANAGER manage accounts, teams, plans and tiers. */
export function canManage(me: WhoAmIResponse): boolean {
  return hasRole(me, Role.ADMIN, Role.MANAGER);
}

/** Reads every account (all roles but MEMBER-only). */
export function seesAllAccounts(me: WhoAmIResponse): boolean {
  return me.roles.some((role) => role !== Role.MEMBER);
}

/**
 * Signs in and out. Renders `signIn` while no one is signed in, passing it the function that tries a
 * credential; renders `children` with the session once WhoAmI accepted it.
 */
export function SessionGate({
  children,
  signIn,
}: {
  children: ReactNode;
  signIn: (props: { submit: (credential: string) => void; checking: boolean; error?: KamError }) => ReactNode;
}) {
  const [credential, setCredential] = useState<string | undefined>(
    () => sessionStorage.getItem(STORAGE_KEY) ?? undefined,
  );
  const [state, setState] = useState<SessionState>(() =>
    credential === undefined ? { status: "signed_out" } : { status: "checking" },
  );
  const signOut = useCallback(() => {
    sessionStorage.removeItem(STORAGE_KEY);
    setCredential(undefined);
    setState({ status: "signed_out" });
  }, []);
  // A key revoked or expired while the tab is open ends the session with the server's word for it.
  const expired = useCallback((error: KamError) => {
    sessionStorage.removeItem(STORAGE_KEY);
    setCredential(undefined);
    setState({ status: "signed_out", error });
  }, []);
  const api = useMemo(() => createApi(window.location.origin, () => credential, expired), [credential, expired]);

  useEffect(() => {
    if (credential === undefined) return;
    let current = true;
    api.identity.whoAmI({}).then(
      (me) => {
        if (!current) return;
        sessionStorage.setItem(STORAGE_KEY, credential);
        setState({ status: "signed_in", me });
      },
      (thrown: unknown) => {
        if (current) expired(describeError(thrown));
      },
    );
    return () => {
      current = false;
    };
  }, [api, credential, expired]);

  const submit = useCallback((next: string) => {
    setState({ status: "checking" });
    setCredential(next.trim());
  }, []);

  const session = useMemo(
    () => (state.status === "signed_in" ? { api, me: state.me, signOut } : undefined),
    [api, state, signOut],
  );
  if (!session) {
    return signIn({
      submit,
      checking: state.status === "checking",
      ...(state.status === "signed_out" && state.error ? { error: state.error } : {}),
    });
  }
  return <SessionContext.Provider value={session}>{children}</SessionContext.Provider>;
}
