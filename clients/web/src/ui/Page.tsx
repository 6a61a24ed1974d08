/** The frame of every page: a heading, actions beside it, and what the page loads or failed to load. */
import type { KamError } from "@kam/client";
import type { ReactNode } from "react";
import { ErrorNotice } from "./ErrorNotice";

export function Page({
  title,
  actions,
  error,
  loading,
  children,
}: {
  title: ReactNode;
  actions?: ReactNode;
  error?: KamError | undefined;
  loading?: boolean;
  children?: ReactNode;
}) {
  return (
    <section className="page" aria-busy={loading ? "true" : "false"}>
      <header className="page-header">
        <h1>{title}</h1>
        {actions && <div className="page-actions">{actions}</div>}
      </header>
      <ErrorNotice error={error} />
      {children}
    </section>
  );
}
