/**
 * The names of the enums more than one view shows, in both locales. A view's own enums live in its
 * own messages.
 */
import {
  AccountHealth_Level,
  CadenceKind,
  HealthSignal_Kind,
  KeyDateKind,
  Lifecycle,
  RadStatus,
  RelationshipStage,
  Role,
  TeamRole,
  Tier,
} from "@kam/client";
import type { Locale } from "./i18n";

/** An enum's names per locale; values a newer server adds may be missing. */
export type Labels<E extends number> = Record<Locale, Partial<Record<E, string>>>;

export const TIER: Labels<Tier> = {
  en: { [Tier.STRATEGIC]: "Strategic", [Tier.KEY]: "Key", [Tier.GROWTH]: "Growth", [Tier.STANDARD]: "Standard" },
  "zh-CN": { [Tier.STRATEGIC]: "战略客户", [Tier.KEY]: "重点客户", [Tier.GROWTH]: "成长客户", [Tier.STANDARD]: "普通客户" },
};

export const LIFECYCLE: Labels<Lifecycle> = {
  en: { [Lifecycle.PROSPECT]: "Prospect", [Lifecycle.ACTIVE]: "Active", [Lifecycle.DORMANT]: "Dormant", [Lifecycle.CHURNED]: "Churned" },
  "zh-CN": { [Lifecycle.PROSPECT]: "潜在", [Lifecycle.ACTIVE]: "活跃", [Lifecycle.DORMANT]: "休眠", [Lifecycle.CHURNED]: "流失" },
};

export const RELATIONSHIP_STAGE: Labels<RelationshipStage> = {
  en: {
    [RelationshipStage.TRANSACTIONAL]: "Transactional",
    [RelationshipStage.VALUE_ADDED]: "Value-added",
    [RelationshipStage.STRATEGIC_PARTNER]: "Strategic partner",
  },
  "zh-CN": {
    [RelationshipStage.TRANSACTIONAL]: "交易型",
    [RelationshipStage.VALUE_ADDED]: "增值型",
    [RelationshipStage.STRATEGIC_PARTNER]: "战略伙伴",
  },
};

export const RAD_STATUS: Labels<RadStatus> = {
  en: { [RadStatus.ACQUIRE]: "Acquire", [RadStatus.DEVELOP]: "Develop", [RadStatus.RETAIN]: "Retain" },
  "zh-CN": { [RadStatus.ACQUIRE]: "获取", [RadStatus.DEVELOP]: "发展", [RadStatus.RETAIN]: "保持" },
};

export const ROLE: Labels<Role> = {
  en: {
    [Role.ADMIN]: "Admin",
    [Role.EXECUTIVE]: "Executive",
    [Role.MANAGER]: "Manager",
    [Role.MEMBER]: "Team member",
    [Role.SERVICE_AGENT]: "Service agent",
    [Role.INTEGRATION]: "Integration",
    [Role.REGIONAL_MANAGER]: "Regional manager",
  },
  "zh-CN": {
    [Role.ADMIN]: "管理员",
    [Role.EXECUTIVE]: "高管",
    [Role.MANAGER]: "经理",
    [Role.MEMBER]: "团队成员",
    [Role.SERVICE_AGENT]: "服务专员",
    [Role.INTEGRATION]: "系统集成",
    [Role.REGIONAL_MANAGER]: "区域经理",
  },
};

export const TEAM_ROLE: Labels<TeamRole> = {
  en: {
    [TeamRole.EXECUTIVE_SPONSOR]: "Executive sponsor",
    [TeamRole.ACCOUNT_MANAGER]: "Account manager",
    [TeamRole.SALES_SPECIALIST]: "Sales specialist",
    [TeamRole.SOLUTION_ENGINEER]: "Solution engineer",
    [TeamRole.SERVICE_LEAD]: "Service lead",
    [TeamRole.MARKETING_PARTNER]: "Marketing partner",
    [TeamRole.LOGISTICS_COORDINATOR]: "Logistics coordinator",
    [TeamRole.RND_PARTNER]: "R&D partner",
  },
  "zh-CN": {
    [TeamRole.EXECUTIVE_SPONSOR]: "高层发起人",
    [TeamRole.ACCOUNT_MANAGER]: "客户经理",
    [TeamRole.SALES_SPECIALIST]: "销售专员",
    [TeamRole.SOLUTION_ENGINEER]: "方案工程师",
    [TeamRole.SERVICE_LEAD]: "服务负责人",
    [TeamRole.MARKETING_PARTNER]: "市场伙伴",
    [TeamRole.LOGISTICS_COORDINATOR]: "物流协调",
    [TeamRole.RND_PARTNER]: "研发伙伴",
  },
};

export const KEY_DATE_KIND: Labels<KeyDateKind> = {
  en: {
    [KeyDateKind.BIRTHDAY]: "Birthday",
    [KeyDateKind.WORK_ANNIVERSARY]: "Work anniversary",
    [KeyDateKind.OTHER]: "Other",
    [KeyDateKind.FOUNDING_ANNIVERSARY]: "Founding anniversary",
    [KeyDateKind.CONTRACT_RENEWAL]: "Contract renewal",
    [KeyDateKind.CUSTOMER_EVENT]: "Customer event",
  },
  "zh-CN": {
    [KeyDateKind.BIRTHDAY]: "生日",
    [KeyDateKind.WORK_ANNIVERSARY]: "入职纪念日",
    [KeyDateKind.OTHER]: "其他",
    [KeyDateKind.FOUNDING_ANNIVERSARY]: "成立纪念日",
    [KeyDateKind.CONTRACT_RENEWAL]: "合同续签",
    [KeyDateKind.CUSTOMER_EVENT]: "客户活动",
  },
};

export const HEALTH_LEVEL: Labels<AccountHealth_Level> = {
  en: {
    [AccountHealth_Level.HEALTHY]: "Healthy",
    [AccountHealth_Level.WATCH]: "Watch",
    [AccountHealth_Level.AT_RISK]: "At risk",
  },
  "zh-CN": {
    [AccountHealth_Level.HEALTHY]: "健康",
    [AccountHealth_Level.WATCH]: "需关注",
    [AccountHealth_Level.AT_RISK]: "有流失风险",
  },
};

export const HEALTH_SIGNAL: Labels<HealthSignal_Kind> = {
  en: {
    [HealthSignal_Kind.REVENUE_DECLINE]: "Revenue decline",
    [HealthSignal_Kind.SLA_BREACHES]: "SLA breaches",
    [HealthSignal_Kind.EXECUTIVE_VISIT_OVERDUE]: "Executive visit overdue",
    [HealthSignal_Kind.SILENCE]: "No recent contact",
    [HealthSignal_Kind.KEY_PEOPLE_AT_RISK]: "Key people at risk",
    [HealthSignal_Kind.LOST_OPPORTUNITIES]: "Lost opportunities",
    [HealthSignal_Kind.LOW_SATISFACTION]: "Low satisfaction",
    [HealthSignal_Kind.LOW_TEAM_FEEDBACK]: "Low team feedback",
  },
  "zh-CN": {
    [HealthSignal_Kind.REVENUE_DECLINE]: "营收下滑",
    [HealthSignal_Kind.SLA_BREACHES]: "SLA 超时",
    [HealthSignal_Kind.EXECUTIVE_VISIT_OVERDUE]: "高层拜访逾期",
    [HealthSignal_Kind.SILENCE]: "长期未联系",
    [HealthSignal_Kind.KEY_PEOPLE_AT_RISK]: "关键人变动",
    [HealthSignal_Kind.LOST_OPPORTUNITIES]: "商机丢单",
    [HealthSignal_Kind.LOW_SATISFACTION]: "满意度偏低",
    [HealthSignal_Kind.LOW_TEAM_FEEDBACK]: "团队评价偏低",
  },
};

export const CADENCE_KIND: Labels<CadenceKind> = {
  en: {
    [CadenceKind.EXECUTIVE_VISIT_DUE]: "Executive visit",
    [CadenceKind.ACCOUNT_MANAGER_TOUCH_DUE]: "Account manager contact",
  },
  "zh-CN": {
    [CadenceKind.EXECUTIVE_VISIT_DUE]: "高层拜访",
    [CadenceKind.ACCOUNT_MANAGER_TOUCH_DUE]: "客户经理联系",
  },
};

/** An enum value's name in the locale; unknown values (a newer server) show as their number. */
export function label<E extends number>(labels: Labels<E>, locale: Locale, value: E): string {
  return labels[locale][value] ?? String(value);
}
