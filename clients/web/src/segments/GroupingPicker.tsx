/**
 * "Group by industry or region, rolled up to a level": the two selects a report's segment breakdown
 * takes (SegmentGrouping).
 */
import { SegmentGrouping_Kind } from "@kam/client";
import { useId } from "react";
import { useMessages } from "../i18n/i18n";
import { segmentMessages } from "./messages";

export interface Grouping {
  kind: SegmentGrouping_Kind;
  rollupDepth: number;
}

export const NO_GROUPING: Grouping = { kind: SegmentGrouping_Kind.KIND_UNSPECIFIED, rollupDepth: 0 };

export function GroupingPicker({
  value,
  onChange,
  maxDepth,
  allowNone = true,
}: {
  value: Grouping;
  onChange: (grouping: Grouping) => void;
  /** The deepest level of the trees: the rollup levels offered are 1..maxDepth (at most 8). */
  maxDepth: number;
  allowNone?: boolean;
}) {
  const t = useMessages(segmentMessages);
  const kindId = useId();
  const depthId = useId();
  const depths = Array.from({ length: Math.min(8, Math.max(1, maxDepth)) }, (_, index) => index + 1);
  return (
    <>
      <div className="segment-picker">
        <label htmlFor={kindId}>{t.groupBy}</label>
        <select
          id={kindId}
          name="group_by"
          value={value.kind}
          onChange={(event) => onChange({ ...value, kind: Number(event.target.value) })}
        >
          {allowNone && <option value={SegmentGrouping_Kind.KIND_UNSPECIFIED}>{t.noGrouping}</option>}
          <option value={SegmentGrouping_Kind.INDUSTRY}>{t.byIndustry}</option>
          <option value={SegmentGrouping_Kind.REGION}>{t.byRegion}</option>
        </select>
      </div>
      <div className="segment-picker">
        <label htmlFor={depthId}>{t.rollup}</label>
        <select
          id={depthId}
          name="rollup_depth"
          value={value.rollupDepth}
          disabled={allowNone && value.kind === SegmentGrouping_Kind.KIND_UNSPECIFIED}
          onChange={(event) => onChange({ ...value, rollupDepth: Number(event.target.value) })}
        >
          <option value={0}>{t.ownSegment}</option>
          {depths.map((depth) => (
            <option key={depth} value={depth}>
              {t.level(depth)}
            </option>
          ))}
        </select>
      </div>
    </>
  );
}
