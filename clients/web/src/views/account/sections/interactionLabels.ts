/** The names of interaction types, in both locales (the timeline and the form show them). */
import { Interaction_Type } from "@kam/client";
import type { Labels } from "../../../i18n/labels";

export const INTERACTION_TYPES = [
  Interaction_Type.SALES_VISIT,
  Interaction_Type.EXECUTIVE_VISIT,
  Interaction_Type.CALL,
  Interaction_Type.TRAINING,
  Interaction_Type.TECHNICAL_SUPPORT,
  Interaction_Type.CUSTOMER_FORUM,
  Interaction_Type.JOINT_PROMOTION,
  Interaction_Type.PRODUCT_TRIAL,
  Interaction_Type.CROSS_DEPARTMENT_REVIEW,
] as const;

export const INTERACTION_TYPE: Labels<Interaction_Type> = {
  en: {
    [Interaction_Type.EXECUTIVE_VISIT]: "Executive visit",
    [Interaction_Type.SALES_VISIT]: "Sales visit",
    [Interaction_Type.CALL]: "Call",
    [Interaction_Type.TRAINING]: "Training",
    [Interaction_Type.TECHNICAL_SUPPORT]: "Technical support",
    [Interaction_Type.CUSTOMER_FORUM]: "Customer forum",
    [Interaction_Type.JOINT_PROMOTION]: "Joint promotion",
    [Interaction_Type.PRODUCT_TRIAL]: "Product trial",
    [Interaction_Type.CROSS_DEPARTMENT_REVIEW]: "Cross-department review",
  },
  "zh-CN": {
    [Interaction_Type.EXECUTIVE_VISIT]: "高层拜访",
    [Interaction_Type.SALES_VISIT]: "销售拜访",
    [Interaction_Type.CALL]: "电话沟通",
    [Interaction_Type.TRAINING]: "培训",
    [Interaction_Type.TECHNICAL_SUPPORT]: "技术支持",
    [Interaction_Type.CUSTOMER_FORUM]: "客户交流会",
    [Interaction_Type.JOINT_PROMOTION]: "联合推广",
    [Interaction_Type.PRODUCT_TRIAL]: "产品试用",
    [Interaction_Type.CROSS_DEPARTMENT_REVIEW]: "跨部门评审",
  },
};
