/** A labelled form control whose accessible name is exactly its label (not the label plus the
 *  control's own text, as when a label wraps a select). */
import { useId, type ReactNode } from "react";

export function Field({ label, children }: { label: string; children: (id: string) => ReactNode }) {
  const id = useId();
  return (
    <div className="funnel-field">
      <label htmlFor={id}>{label}</label>
      {children(id)}
    </div>
  );
}
