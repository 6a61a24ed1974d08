/**
 * The frame every account section shares: a region named by its heading, the section's own loading
 * state and refusal, so one section failing or loading never holds up the others.
 */
import type { KamError } from "@kam/client";
import { useId, type ReactNode } from "react";
import { ErrorNotice } from "../../../ui/ErrorNotice";
import "./sections.css";

export function SectionFrame({
  title,
  testId,
  actions,
  error,
  loading,
  children,
}: {
  title: ReactNode;
  testId: string;
  actions?: ReactNode;
  error?: KamError | undefined;
  loading?: boolean;
  children?: ReactNode;
}) {
  const headingId = useId();
  return (
    <section
      className="card account-section"
      aria-labelledby={headingId}
      aria-busy={loading ? "true" : "false"}
      data-testid={testId}
    >
      <header className="account-section-header">
        <h2 id={headingId}>{title}</h2>
        {actions && <div className="account-section-actions">{actions}</div>}
      </header>
      <ErrorNotice error={error} />
      {children}
    </section>
  );
}

/** What a section shows while its first answer is on its way. */
export function Loading({ text }: { text: string }) {
  return (
    <p className="muted" role="status">
      {text}
    </p>
  );
}
