/** The names of the service-level enums the board and the request page show, in both locales. */
import {
  EscalationStep_Trigger,
  Priority,
  ServiceRequest_Category,
  ServiceRequest_Status,
  SlaTarget_State,
  SlaTargetKind,
} from "@kam/client";
import type { Labels } from "../../i18n/labels";

export const PRIORITY: Labels<Priority> = {
  en: { [Priority.P1]: "P1 critical", [Priority.P2]: "P2 high", [Priority.P3]: "P3 normal", [Priority.P4]: "P4 low" },
  "zh-CN": { [Priority.P1]: "P1 紧急", [Priority.P2]: "P2 高", [Priority.P3]: "P3 一般", [Priority.P4]: "P4 低" },
};

export const STATUS: Labels<ServiceRequest_Status> = {
  en: {
    [ServiceRequest_Status.NEW]: "New",
    [ServiceRequest_Status.IN_PROGRESS]: "In progress",
    [ServiceRequest_Status.WAITING_ON_CUSTOMER]: "Waiting on customer",
    [ServiceRequest_Status.WAITING_ON_THIRD_PARTY]: "Waiting on third party",
    [ServiceRequest_Status.RESOLVED]: "Resolved",
    [ServiceRequest_Status.CLOSED]: "Closed",
    [ServiceRequest_Status.CANCELLED]: "Cancelled",
  },
  "zh-CN": {
    [ServiceRequest_Status.NEW]: "新建",
    [ServiceRequest_Status.IN_PROGRESS]: "处理中",
    [ServiceRequest_Status.WAITING_ON_CUSTOMER]: "等待客户",
    [ServiceRequest_Status.WAITING_ON_THIRD_PARTY]: "等待第三方",
    [ServiceRequest_Status.RESOLVED]: "已解决",
    [ServiceRequest_Status.CLOSED]: "已关闭",
    [ServiceRequest_Status.CANCELLED]: "已取消",
  },
};

export const SLA_STATE: Labels<SlaTarget_State> = {
  en: {
    [SlaTarget_State.IN_PROGRESS]: "Running",
    [SlaTarget_State.AT_RISK]: "At risk",
    [SlaTarget_State.PAUSED]: "Paused",
    [SlaTarget_State.MET]: "Met",
    [SlaTarget_State.BREACHED]: "Breached",
    [SlaTarget_State.CANCELLED]: "Cancelled",
  },
  "zh-CN": {
    [SlaTarget_State.IN_PROGRESS]: "计时中",
    [SlaTarget_State.AT_RISK]: "临近超时",
    [SlaTarget_State.PAUSED]: "已暂停",
    [SlaTarget_State.MET]: "已达成",
    [SlaTarget_State.BREACHED]: "已超时",
    [SlaTarget_State.CANCELLED]: "已取消",
  },
};

/** The badge colour of an SLA state. */
export function stateTone(state: SlaTarget_State): "good" | "warn" | "bad" | "" {
  switch (state) {
    case SlaTarget_State.MET:
      return "good";
    case SlaTarget_State.AT_RISK:
      return "warn";
    case SlaTarget_State.BREACHED:
      return "bad";
    default:
      return "";
  }
}

export const TARGET_KIND: Labels<SlaTargetKind> = {
  en: { [SlaTargetKind.FIRST_RESPONSE]: "First response", [SlaTargetKind.RESOLUTION]: "Resolution" },
  "zh-CN": { [SlaTargetKind.FIRST_RESPONSE]: "首次响应", [SlaTargetKind.RESOLUTION]: "解决" },
};

export const TRIGGER: Labels<EscalationStep_Trigger> = {
  en: { [EscalationStep_Trigger.AT_RISK]: "At risk", [EscalationStep_Trigger.BREACHED]: "Breached" },
  "zh-CN": { [EscalationStep_Trigger.AT_RISK]: "临近超时", [EscalationStep_Trigger.BREACHED]: "已超时" },
};

export const CATEGORY: Labels<ServiceRequest_Category> = {
  en: {
    [ServiceRequest_Category.DELIVERY]: "Delivery",
    [ServiceRequest_Category.INSTALLATION]: "Installation",
    [ServiceRequest_Category.REPAIR]: "Repair",
    [ServiceRequest_Category.TRAINING]: "Training",
    [ServiceRequest_Category.COMPLAINT]: "Complaint",
    [ServiceRequest_Category.TECHNICAL_QUESTION]: "Technical question",
    [ServiceRequest_Category.OTHER]: "Other",
  },
  "zh-CN": {
    [ServiceRequest_Category.DELIVERY]: "交付",
    [ServiceRequest_Category.INSTALLATION]: "安装",
    [ServiceRequest_Category.REPAIR]: "维修",
    [ServiceRequest_Category.TRAINING]: "培训",
    [ServiceRequest_Category.COMPLAINT]: "投诉",
    [ServiceRequest_Category.TECHNICAL_QUESTION]: "技术咨询",
    [ServiceRequest_Category.OTHER]: "其他",
  },
};
