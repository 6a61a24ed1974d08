/** The segment pickers' and groupings' strings, shared by the lists and reports that offer them. */
import { defineMessages } from "../i18n/i18n";

export const segmentMessages = defineMessages({
  en: {
    industry: "Industry",
    region: "Region",
    any: "Any",
    groupBy: "Group by",
    noGrouping: "No grouping",
    byIndustry: "Industry",
    byRegion: "Region",
    rollup: "Roll up to",
    ownSegment: "Each account's own segment",
    level: (depth: number) => (depth === 1 ? "Top level" : `Level ${depth}`),
    segment: "Segment",
    unclassified: "Not classified",
    unclassifiedAs: (text: string) => `Not classified: ${text}`,
  },
  "zh-CN": {
    industry: "行业",
    region: "区域",
    any: "全部",
    groupBy: "分组方式",
    noGrouping: "不分组",
    byIndustry: "按行业",
    byRegion: "按区域",
    rollup: "汇总到",
    ownSegment: "客户自身分类",
    level: (depth: number) => (depth === 1 ? "顶层" : `第 ${depth} 层`),
    segment: "分类",
    unclassified: "未分类",
    unclassifiedAs: (text: string) => `未分类：${text}`,
  },
});
