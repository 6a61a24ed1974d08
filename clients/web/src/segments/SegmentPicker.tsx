/**
 * A segment picker: a select whose options are the industry or region tree, each indented under its
 * parent, with "any" (or "none") first. Picking a segment means it and everything below it, as the
 * server filters. A code the tree does not hold (a deleted segment) stays shown as itself.
 */
import { useId } from "react";
import { useLocale } from "../i18n/i18n";
import { segmentName, treeOrder, type Segment } from "./model";

/** Two no-break spaces per level: an option's text is all a select can indent. */
const INDENT = "\u00a0\u00a0";

export function SegmentPicker({
  label,
  name,
  segments,
  value,
  onChange,
  emptyLabel,
  disabled = false,
  className,
  testId,
}: {
  label: string;
  name: string;
  segments: readonly Segment[] | undefined;
  value: string;
  onChange: (code: string) => void;
  /** The first option, meaning no segment ("Any", "None"). */
  emptyLabel: string;
  disabled?: boolean;
  className?: string;
  testId?: string;
}) {
  const { locale } = useLocale();
  const id = useId();
  const placed = treeOrder(segments ?? []);
  const known = placed.some((item) => item.segment.code === value);
  return (
    <div className={className ?? "segment-picker"}>
      <label htmlFor={id}>{label}</label>
      <select
        id={id}
        name={name}
        value={value}
        disabled={disabled || segments === undefined}
        onChange={(event) => onChange(event.target.value)}
        data-testid={testId}
      >
        <option value="">{emptyLabel}</option>
        {value !== "" && !known && <option value={value}>{value}</option>}
        {placed.map(({ segment, level }) => (
          <option key={segment.code} value={segment.code}>
            {`${INDENT.repeat(level)}${segmentName(segment, locale)} (${segment.code})`}
          </option>
        ))}
      </select>
    </div>
  );
}
