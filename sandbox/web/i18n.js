/* The page's own words, in Chinese and English (the bot's words come from the bot). */
"use strict";

const WORDS = {
  zh: {
    sandbox: "沙盒",
    provisional: "暂定",
    plusHour: "+1 小时",
    plusWorkday: "+1 工作日",
    toDeadline: "到下一期限",
    noDeadline: "没有待到期的环节",
    reset: "重置沙盒",
    resetConfirm: "重置沙盒？所有申请、对话和时钟偏移都会删除，员工重新入职。",
    resetOk: "全部删除",
    staff: "员工",
    customers: "客户",
    customerName: "客户姓名",
    addCustomer: "添加客户",
    pickPersona: "从左侧选择一个角色开始对话",
    menu: "菜单",
    attach: "发送文件或照片",
    message: "输入消息…",
    send: "发送",
    cancel: "取消",
    workday: "工作日",
    restDay: "休息日",
    edited: "已编辑",
    shared: "已分享手机号",
    unsupported: "（不支持的消息类型）",
    beijing: "北京时间",
    offset: "已快进",
    noMessages: "还没有消息。发送 /start 开始。",
    role_customer: "客户",
    role_customer_manager: "客户经理",
    role_project_manager: "项目经理",
    role_supervisor: "班长/主管",
    role_admin: "管理员",
    sandboxMenu: "时钟与沙盒设置",
    openPhoto: "查看图片",
    close: "关闭",
    download: "下载",
    reconnecting: "与沙盒的连接已断开，正在重新连接…",
    offlineAction: "沙盒没有响应，操作未完成。正在重新连接，请稍后再试。",
    days: "天",
    hours: "小时",
    minutes: "分钟",
    newMessages: "新消息",
    jump: "跳到最新消息",
    unread: "条未读",
    clock: "沙盒时钟",
    chats: "对话列表",
    customerLanguage: "客户语言",
    back: "返回对话列表",
    messages: "消息",
    messageLabel: "消息",
    keyboard: "显示或隐藏键盘",
    weekdays: ["周一", "周二", "周三", "周四", "周五", "周六", "周日"],
  },
  en: {
    sandbox: "sandbox",
    provisional: "provisional",
    plusHour: "+1 hour",
    plusWorkday: "+1 working day",
    toDeadline: "To next deadline",
    noDeadline: "No stage has a deadline ahead",
    reset: "Reset sandbox",
    resetConfirm: "Reset the sandbox? Every application, chat and the clock offset are deleted; staff are enrolled again.",
    resetOk: "Delete everything",
    staff: "Staff",
    customers: "Customers",
    customerName: "Customer name",
    addCustomer: "Add customer",
    pickPersona: "Pick a persona on the left to start chatting",
    menu: "Menu",
    attach: "Send a file or photo",
    message: "Write a message…",
    send: "Send",
    cancel: "Cancel",
    workday: "working day",
    restDay: "day off",
    edited: "edited",
    shared: "shared phone number",
    unsupported: "(message type not shown)",
    beijing: "Beijing time",
    offset: "ahead by",
    noMessages: "No messages yet. Send /start to begin.",
    role_customer: "customer",
    role_customer_manager: "customer manager",
    role_project_manager: "project manager",
    role_supervisor: "supervisor",
    role_admin: "admin",
    sandboxMenu: "Clock and sandbox settings",
    openPhoto: "Open the photo",
    close: "Close",
    download: "Download",
    reconnecting: "The connection to the sandbox is lost; reconnecting…",
    offlineAction: "The sandbox did not answer, so nothing was done. Reconnecting; try again in a moment.",
    days: "d",
    hours: "h",
    minutes: "min",
    newMessages: "New messages",
    jump: "Jump to the newest message",
    unread: "unread",
    clock: "Sandbox clock",
    chats: "Chats",
    customerLanguage: "Customer's language",
    back: "Back to the chats",
    messages: "Messages",
    messageLabel: "Message",
    keyboard: "Show or hide the keyboard",
    weekdays: ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
  },
};

const I18n = {
  lang: localStorage.getItem("hv-sandbox-lang") ||
    ((navigator.language || "zh").toLowerCase().startsWith("zh") ? "zh" : "en"),

  t(key) {
    const words = WORDS[I18n.lang] || WORDS.zh;
    return key in words ? words[key] : key;
  },

  apply(root) {
    root.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = I18n.t(el.dataset.i18n); });
    root.querySelectorAll("[data-i18n-placeholder]").forEach((el) => {
      el.placeholder = I18n.t(el.dataset.i18nPlaceholder);
    });
    root.querySelectorAll("[data-i18n-title]").forEach((el) => { el.title = I18n.t(el.dataset.i18nTitle); });
    root.querySelectorAll("[data-i18n-label]").forEach((el) => {
      el.setAttribute("aria-label", I18n.t(el.dataset.i18nLabel));
    });
    document.documentElement.lang = I18n.lang === "zh" ? "zh-CN" : "en";
  },

  toggle() {
    I18n.lang = I18n.lang === "zh" ? "en" : "zh";
    localStorage.setItem("hv-sandbox-lang", I18n.lang);
  },
};
