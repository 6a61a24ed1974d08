/**
 * The notifications' strings, in English and Simplified Chinese: the page and the bell, and the text
 * of each kind of notification (see `text.ts`), which takes the values it shows so each language puts
 * them where its grammar wants them.
 */
import { Recipient_Reason } from "@kam/client";
import { defineMessages } from "../../i18n/i18n";
import type { Labels } from "../../i18n/labels";

export const messages = defineMessages({
  en: {
    title: "Notifications",
    bell: (unread: number) => (unread === 0 ? "Notifications, none unread" : `Notifications, ${unread} unread`),
    loading: "Loading notifications…",
    none: "No notifications.",
    noneUnread: "No unread notifications.",
    intro: "Warnings KAM raises on its own about the accounts you serve, newest first.",
    unreadOnly: "Unread only",
    unreadCount: (count: number) => (count === 1 ? "1 unread" : `${count} unread`),
    markRead: "Mark read",
    markUnread: "Mark unread",
    markAllRead: "Mark all read",
    marking: "Marking…",
    unread: "Unread",
    more: "Show more",
    account: "Account",
    brief: "Visit brief",
    whyTold: (reason: string) => `You are told as ${reason}`,
    // The text of each kind of notification.
    healthFell: (account: string, level: string, score: number, signals: string) =>
      `${account}'s health fell to ${level} (${score})${signals === "" ? "" : `: ${signals}`}`,
    healthRose: (account: string, level: string, score: number, signals: string) =>
      `${account}'s health rose to ${level} (${score})${signals === "" ? "" : `: ${signals} cleared`}`,
    healthFirst: (account: string, level: string, score: number, signals: string) =>
      `${account}'s health was first assessed as ${level} (${score})${signals === "" ? "" : `: ${signals}`}`,
    signalSeparator: ", ",
    keyDate: (kind: string, label: string, whose: string, when: string, years: string) =>
      `${kind}${label === "" ? "" : ` “${label}”`} of ${whose} ${when}${years}`,
    contactAt: (contact: string, account: string) => `${contact} (${account})`,
    today: "today",
    tomorrow: "tomorrow",
    inDays: (days: number) => `in ${days} days`,
    daysAgo: (days: number) => (days === 1 ? "yesterday" : `${days} days ago`),
    age: (years: number) => ` (turns ${years})`,
    anniversary: (years: number) => ` (${years} years)`,
    cadence: (kind: string, account: string, overdue: string, interval: number) =>
      `${kind} with ${account} ${overdue} (every ${interval} days)`,
    overdueBy: (days: number) => (days <= 0 ? "is due today" : days === 1 ? "is 1 day overdue" : `is ${days} days overdue`),
    planAction: (title: string, account: string, overdue: string, due: string) =>
      `Plan action “${title}” for ${account} ${overdue}${due === "" ? "" : ` (due ${due})`}`,
    other: (eventType: string, account: string) => (account === "" ? eventType : `${eventType}: ${account}`),
  },
  "zh-CN": {
    title: "通知",
    bell: (unread: number) => (unread === 0 ? "通知，无未读" : `通知，${unread} 条未读`),
    loading: "正在加载通知…",
    none: "暂无通知。",
    noneUnread: "没有未读通知。",
    intro: "KAM 针对您负责的客户自动发出的提醒，最新的在前。",
    unreadOnly: "只看未读",
    unreadCount: (count: number) => `${count} 条未读`,
    markRead: "标为已读",
    markUnread: "标为未读",
    markAllRead: "全部标为已读",
    marking: "正在标记…",
    unread: "未读",
    more: "显示更多",
    account: "客户",
    brief: "拜访简报",
    whyTold: (reason: string) => `通知原因：您是${reason}`,
    healthFell: (account: string, level: string, score: number, signals: string) =>
      `${account} 的健康度降至“${level}”（${score} 分）${signals === "" ? "" : `：${signals}`}`,
    healthRose: (account: string, level: string, score: number, signals: string) =>
      `${account} 的健康度升至“${level}”（${score} 分）${signals === "" ? "" : `：${signals}已解除`}`,
    healthFirst: (account: string, level: string, score: number, signals: string) =>
      `${account} 的健康度首次评估为“${level}”（${score} 分）${signals === "" ? "" : `：${signals}`}`,
    signalSeparator: "、",
    keyDate: (kind: string, label: string, whose: string, when: string, years: string) =>
      `${whose}的${kind}${label === "" ? "" : `“${label}”`}${years}${when}`,
    contactAt: (contact: string, account: string) => `${contact}（${account}）`,
    today: "就在今天",
    tomorrow: "就在明天",
    inDays: (days: number) => `还有 ${days} 天`,
    daysAgo: (days: number) => `已过去 ${days} 天`,
    age: (years: number) => `（${years} 岁）`,
    anniversary: (years: number) => `（${years} 周年）`,
    cadence: (kind: string, account: string, overdue: string, interval: number) =>
      `${account} 的${kind}${overdue}（每 ${interval} 天一次）`,
    overdueBy: (days: number) => (days <= 0 ? "今天到期" : `已逾期 ${days} 天`),
    planAction: (title: string, account: string, overdue: string, due: string) =>
      `${account} 的计划行动“${title}”${overdue}${due === "" ? "" : `（截止 ${due}）`}`,
    other: (eventType: string, account: string) => (account === "" ? eventType : `${eventType}：${account}`),
  },
});

export const REASON: Labels<Recipient_Reason> = {
  en: {
    [Recipient_Reason.ACCOUNT_MANAGER]: "its account manager",
    [Recipient_Reason.EXECUTIVE_SPONSOR]: "its executive sponsor",
    [Recipient_Reason.ACTION_OWNER]: "the action's owner",
  },
  "zh-CN": {
    [Recipient_Reason.ACCOUNT_MANAGER]: "客户经理",
    [Recipient_Reason.EXECUTIVE_SPONSOR]: "高层发起人",
    [Recipient_Reason.ACTION_OWNER]: "该行动的负责人",
  },
};
