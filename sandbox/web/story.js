/* "Play the story": one application from /apply to the satisfaction survey, as data.

Each step is what one person does in their own chat, and what the bot must answer (and in
whose chat) before the story goes on. The player (player.js) reads this list; nothing here
knows the bot's database: buttons are found by their text in the newest message carrying
them, as a person finds them.

The story is played in the page's language: its people choose that language in their own
chats (/lang, as a person would), and what they type and what the bot answers is then the
bot's own text in that language. So every text below is either one string, the same in both
(data such as a code, a number, a date), or {zh, en}: the bot's words from
notifications/templates/zh_CN and en (and their _labels.html).

  who       customer | manager | project | supervisor: whose chat the step acts in
  do        add (a customer), type, tap (reply keyboard), press (inline button),
            upload (a PDF through the paperclip), clock (hour | workday | deadline)
  text      what is typed; {number} is the application's number, {workday+N} the bot's
            date N working days (Mon–Fri) ahead
  button    the button's text; `row` picks the button by its row in that message instead
  expect    [who, text]: the bot's message that proves the step worked
  after     [who, text]: a message to wait for before acting
  retry     a reply meaning "that date is not a working day": the dates shift one day on
  capture   a variable read from the expected message
  lang      zh | en: a step played only in that language
  stage     1–5 the process stages, 6 the survey; caption {zh, en}
*/
"use strict";

// The bot's own stage names (stage.* in the labels) and default limits in working days
// (single supply).
const STAGES = [
  { zh: "业务受理", en: "Acceptance", limit: 1 },
  { zh: "供电方案确定及答复", en: "Supply plan", limit: 10 },
  { zh: "设计检查", en: "Design review", limit: 5 },
  { zh: "供电合同签订", en: "Inspection & contract", limit: 3 },
  { zh: "投运送电", en: "Energization", limit: 3 },
];

// [do, value, the next prompt, caption zh, caption en]: the 14 fields, then the first document.
const APPLICATION_FORM = [
  ["type", "汉中市天汉机械制造有限公司", "2/14", "单位名称", "the company's name"],
  ["type", "91350100M000100Y43", "3/14", "统一社会信用代码", "the unified social credit code"],
  ["type", { zh: "二期厂房新建工程", en: "Phase 2 plant" }, "4/14", "项目名称", "the project's name"],
  ["type", { zh: "汉台区北一环路88号", en: "88 North First Ring Road, Hantai" }, "5/14", "用电地址", "the site's address"],
  ["press", { zh: "汉台区", en: "Hantai District" }, "6/14", "区县（按钮）", "the district (a button)"],
  ["press", { zh: "大工业", en: "Large industry" }, "7/14", "用电类别", "the usage category"],
  ["press", "10 kV", "8/14", "电压等级", "the voltage"],
  ["type", "2000", "9/14", "申请容量 2000 kVA", "the capacity, 2000 kVA"],
  ["press", { zh: "单电源", en: "Single supply" }, "10/14", "单电源供电", "single supply"],
  ["press", { zh: "否", en: "No" }, "11/14", "非重要负荷", "not an important load"],
  ["press", { zh: "不需要", en: "No" }, "12/14", "无需配套电网工程", "no grid works needed"],
  ["type", "2027-06-30", "13/14", "期望送电日期", "the wanted power-on date"],
  ["type", { zh: "张伟", en: "Zhang Wei" }, "14/14", "联系人", "the contact person"],
  ["type", "13800138000", { zh: "营业执照", en: "Business licence" }, "联系人手机", "the contact's mobile"],
];

// Each staff member chooses the story's language in their own chat before the application
// reaches them (a staff member keeps the language of the last story played).
const STAFF_LANGUAGE = [
  ["manager", "客户经理王敏", "the customer manager, Wang Min"],
  ["project", "项目经理李强", "the project manager, Li Qiang"],
  ["supervisor", "主管陈静", "the supervisor, Chen Jing"],
].map(([who, zh, en]) => ({
  stage: 1, who, do: "type", text: { zh: "/lang 中文", en: "/lang en" },
  expect: [who, { zh: "已切换为中文", en: "The bot now speaks English" }],
  caption: { zh: `同时在供电公司：${zh}的对话使用中文（/lang 中文）`, en: `Meanwhile at the utility: ${en} uses the bot in English (/lang en)` },
}));

const STORY = [
  {
    stage: 1, who: "customer", do: "add", name: { zh: "张伟（演示）", en: "Zhang Wei (demo)" },
    caption: { zh: "新客户张伟打开与供电公司机器人的对话", en: "A new customer, Zhang Wei, opens a chat with the utility's bot" },
  },
  {
    stage: 1, who: "customer", do: "type", text: "/lang en", lang: "en",
    expect: ["customer", "The bot now speaks English"],
    caption: { zh: "客户先把语言换成英文（/lang en）", en: "He first switches the bot to English (/lang en)" },
  },
  {
    stage: 1, who: "customer", do: "type", text: "/start", expect: ["customer", { zh: "手机号", en: "phone number" }],
    caption: { zh: "客户发送 /start，机器人问候并请他分享手机号", en: "The customer sends /start; the bot greets him and asks for his phone number" },
  },
  {
    stage: 1, who: "customer", do: "tap", button: "📱", expect: ["customer", { zh: "已保存您的手机号", en: "is saved" }],
    caption: { zh: "客户点“分享我的手机号”", en: "He taps “share my phone number”" },
  },
  {
    stage: 1, who: "customer", do: "type", text: "/apply", expect: ["customer", "1/14"],
    caption: { zh: "客户发送 /apply，开始在线填写用电申请（14 项）", en: "He sends /apply and starts the online application (14 fields)" },
  },
  ...APPLICATION_FORM.map(([kind, value, next, zh, en]) => ({
    stage: 1, who: "customer", do: kind, [kind === "type" ? "text" : "button"]: value,
    expect: ["customer", next],
    caption: { zh: `填写申请：${zh}`, en: `Filling in the application: ${en}` },
  })),
  {
    stage: 1, who: "customer", do: "upload", file: { zh: "营业执照.pdf", en: "business-licence.pdf" }, expect: ["customer", { zh: "第 1 个文件", en: "Received file 1" }],
    caption: { zh: "上传资料：营业执照（像在手机上一样通过回形针发送）", en: "Uploading documents: the business licence (sent with the paperclip)" },
  },
  {
    stage: 1, who: "customer", do: "press", button: { zh: "下一步 ▶", en: "Next ▶" }, expect: ["customer", { zh: "身份证明", en: "ID of the legal representative" }],
    caption: { zh: "营业执照已收到，下一项", en: "Licence received; next document" },
  },
  {
    stage: 1, who: "customer", do: "upload", file: { zh: "身份证.pdf", en: "id-card.pdf" }, expect: ["customer", { zh: "第 1 个文件", en: "Received file 1" }],
    caption: { zh: "上传资料：法定代表人身份证明", en: "Uploading the legal representative's ID" },
  },
  {
    stage: 1, who: "customer", do: "press", button: { zh: "下一步 ▶", en: "Next ▶" }, expect: ["customer", { zh: "产权证明", en: "Proof of the site" }],
    caption: { zh: "身份证明已收到，下一项", en: "ID received; next document" },
  },
  {
    stage: 1, who: "customer", do: "press", button: { zh: "后补（告知承诺）", en: "Provide later (commitment)" }, expect: ["customer", { zh: "用电设备清单", en: "List of electrical equipment" }],
    caption: { zh: "产权证明按“告知承诺”后补：不因缺一份资料而不受理", en: "The title deed is promised for later (告知承诺): a missing paper does not block the application" },
  },
  {
    stage: 1, who: "customer", do: "upload", file: { zh: "用电设备清单.pdf", en: "equipment-list.pdf" }, expect: ["customer", { zh: "第 1 个文件", en: "Received file 1" }],
    caption: { zh: "上传资料：用电设备清单", en: "Uploading the list of electrical equipment" },
  },
  {
    stage: 1, who: "customer", do: "press", button: { zh: "下一步 ▶", en: "Next ▶" }, expect: ["customer", { zh: "请核对申请信息", en: "Please check your application" }],
    caption: { zh: "机器人列出全部信息供客户核对", en: "The bot shows everything for the customer to check" },
  },
  ...STAFF_LANGUAGE,
  {
    stage: 1, who: "customer", do: "press", button: { zh: "✅ 提交申请", en: "✅ Submit application" }, expect: ["customer", { zh: "申请编号", en: "Application submitted" }],
    capture: { number: "HV-\\d{4}-\\d{6}" },
    caption: { zh: "客户提交申请，得到申请编号和供电方案答复期限", en: "He submits: the bot gives the application number and the supply plan's due date" },
  },
  {
    stage: 1, who: "manager", do: "press", button: { zh: "打开申请", en: "Open the application" }, expect: ["manager", { zh: "受理审核中", en: "being checked" }], after: ["manager", "{number}"],
    caption: { zh: "客户经理王敏同时收到新申请提醒，打开申请卡片（计时：受理限 1 个工作日）", en: "The customer manager is alerted at once and opens the card (acceptance: 1 working day)" },
  },
  {
    stage: 1, who: "manager", do: "press", button: { zh: "指派项目经理", en: "Attach a project manager" }, expect: ["project", "{number}"],
    caption: { zh: "客户经理指派项目经理李强，李强的对话里收到通知", en: "The manager attaches the project manager, who is told in his own chat" },
  },
  {
    stage: 1, who: "manager", do: "press", button: { zh: "受理", en: "Accept" }, expect: ["customer", { zh: "已受理", en: "has been accepted" }],
    caption: { zh: "客户经理受理申请：客户立即收到“已受理”", en: "The manager accepts the application: the customer is told straight away" },
  },
  {
    stage: 2, who: "manager", do: "press", button: { zh: "打开申请", en: "Open the application" }, expect: ["manager", { zh: "提出勘查时间", en: "Propose survey times" }],
    caption: { zh: "进入供电方案答复环节（单电源限 10 个工作日），客户经理打开卡片", en: "The supply plan stage begins (10 working days for single supply)" },
  },
  {
    stage: 2, who: "manager", do: "press", button: { zh: "提出勘查时间", en: "Propose survey times" }, expect: ["manager", { zh: "每行一个", en: "one per line" }],
    caption: { zh: "客户经理提出现场勘查时间", en: "The manager proposes site survey times" },
  },
  {
    stage: 2, who: "manager", do: "type", text: "{workday+1} 09:00\n{workday+2} 14:30",
    expect: ["customer", { zh: "选择现场勘查时间", en: "choose a site-survey time" }], retry: { zh: "工作日", en: "working day" },
    caption: { zh: "输入两个工作日的时间，客户在自己的对话里收到可选时间", en: "Two working-day times; the customer gets them as buttons in his chat" },
  },
  {
    stage: 2, who: "customer", do: "press", row: 1, button: "{workday+2} 14:30", expect: ["manager", { zh: "选择勘查时间", en: "Pick a survey time" }],
    caption: { zh: "客户点选第二个时间，客户经理收到通知（客户选择期间计时暂停）", en: "The customer picks the second time; the manager is told (the clock pauses while the customer chooses)" },
  },
  {
    stage: 2, who: "manager", do: "clock", step: "deadline", expect: ["manager", { zh: "今天到期", en: "Due today" }],
    caption: { zh: "时钟跳到供电方案的期限日：客户经理收到“今天到期”提醒，客户收到进度通报", en: "The clock jumps to the plan's due date: the manager is reminded “due today”, the customer gets a progress note" },
  },
  {
    stage: 2, who: "manager", do: "clock", step: "workday", expect: ["supervisor", { zh: "超期督办", en: "Overdue applications" }],
    caption: { zh: "再过一个工作日仍未办结：客户经理收到“已超期”，主管陈静收到超期督办", en: "One working day later it is overdue: the manager is warned and the supervisor gets the escalation" },
  },
  {
    stage: 2, who: "manager", do: "press", button: { zh: "打开申请", en: "Open the application" }, expect: ["manager", { zh: "现场勘查完成", en: "Site survey done" }],
    caption: { zh: "客户经理抓紧办理，打开卡片", en: "The manager hurries and opens the card" },
  },
  {
    stage: 2, who: "manager", do: "press", button: { zh: "现场勘查完成", en: "Site survey done" }, expect: ["customer", { zh: "现场勘查已完成", en: "site survey for" }],
    caption: { zh: "记录现场勘查完成，客户收到通知", en: "Site survey recorded; the customer is told" },
  },
  {
    stage: 2, who: "manager", do: "press", button: { zh: "打开申请", en: "Open the application" }, expect: ["manager", { zh: "答复供电方案", en: "Send the supply plan" }],
    caption: { zh: "客户经理准备答复供电方案", en: "The manager is ready to send the supply plan" },
  },
  {
    stage: 2, who: "manager", do: "press", button: { zh: "答复供电方案", en: "Send the supply plan" }, expect: ["manager", { zh: "供电方案文件", en: "supply plan document" }],
    caption: { zh: "答复供电方案：先发方案文件", en: "Sending the supply plan: the document first" },
  },
  {
    stage: 2, who: "manager", do: "upload", file: { zh: "供电方案.pdf", en: "supply-plan.pdf" }, expect: ["manager", { zh: "已收到 1 个文件", en: "1 file received" }],
    caption: { zh: "客户经理上传供电方案 PDF", en: "The manager uploads the plan as a PDF" },
  },
  {
    stage: 2, who: "manager", do: "press", button: { zh: "✅ 文件已发完", en: "✅ All files sent" }, expect: ["manager", { zh: "关键指标", en: "key figures" }],
    caption: { zh: "文件已发完，再填关键指标", en: "Files done; now the key figures" },
  },
  {
    stage: 2, who: "manager", do: "type", text: { zh: "计量方式：高供高计\n业务费用：0 元", en: "Metering: high-voltage side\nFees: 0 yuan" }, expect: ["customer", { zh: "供电方案已答复", en: "The supply plan for" }],
    caption: { zh: "客户收到供电方案文件和关键指标", en: "The customer receives the plan document with its key figures" },
  },
  {
    stage: 2, who: "customer", do: "press", button: { zh: "确认供电方案", en: "Confirm the supply plan" }, expect: ["customer", { zh: "设计检查", en: "Design review" }],
    caption: { zh: "客户确认供电方案，进入设计审查环节（客户设计期间计时暂停）", en: "The customer confirms the plan; design review begins (paused while the customer designs)" },
  },
  {
    stage: 3, who: "customer", do: "clock", step: "workday",
    caption: { zh: "客户在做设计，时钟快进一个工作日……", en: "The customer is designing; the clock moves a working day on…" },
  },
  {
    stage: 3, who: "customer", do: "clock", step: "workday",
    caption: { zh: "……又一个工作日……", en: "…and another…" },
  },
  {
    stage: 3, who: "customer", do: "clock", step: "workday", expect: ["customer", { zh: "待您办理", en: "Waiting for you" }],
    caption: { zh: "客户欠办事项满 3 个工作日：客户收到提醒（包括后补的产权证明）", en: "After 3 working days the customer is reminded of what he owes (the promised title deed too)" },
  },
  {
    stage: 3, who: "customer", do: "press", button: { zh: "提交设计文件", en: "Submit the design" }, expect: ["customer", { zh: "文件已发完", en: "All files sent" }],
    caption: { zh: "客户提交设计文件", en: "The customer submits the design" },
  },
  {
    stage: 3, who: "customer", do: "upload", file: { zh: "设计图纸.pdf", en: "design-drawings.pdf" }, expect: ["customer", { zh: "已收到 1 个文件", en: "1 file received" }],
    caption: { zh: "上传设计图纸", en: "Uploading the drawings" },
  },
  {
    stage: 3, who: "customer", do: "press", button: { zh: "✅ 文件已发完", en: "✅ All files sent" }, expect: ["project", { zh: "提交设计文件", en: "Submit the design" }],
    caption: { zh: "设计已提交：设计审查计时开始（限 5 个工作日），项目经理收到通知", en: "Design submitted: the 5-working-day review clock starts and the project manager is told" },
  },
  {
    stage: 3, who: "project", do: "press", button: { zh: "打开申请", en: "Open the application" }, expect: ["project", { zh: "设计审查通过", en: "Approve the design" }],
    caption: { zh: "项目经理李强打开申请卡片", en: "The project manager opens the card" },
  },
  {
    stage: 3, who: "project", do: "press", button: { zh: "设计审查通过", en: "Approve the design" }, expect: ["project", { zh: "一次性", en: "hazard and risk points" }],
    caption: { zh: "审查通过，须一次性告知全部安全隐患和风险点", en: "Approved: every hazard and risk must be told at once" },
  },
  {
    stage: 3, who: "project", do: "type", text: { zh: "高压开关柜需五防闭锁\n电缆沟需防水封堵\n配电室需两个出口", en: "The HV switchgear needs five-way interlocks\nThe cable trench must be sealed against water\nThe switch room needs two exits" }, expect: ["customer", { zh: "一次性告知", en: "told once" }],
    caption: { zh: "客户在一条消息里收到全部风险点（一次性告知）", en: "The customer gets all the risk points in one message (told once)" },
  },
  {
    stage: 4, who: "customer", do: "press", button: { zh: "申请竣工检验", en: "Request the completion inspection" }, expect: ["manager", { zh: "申请竣工检验", en: "Request the completion inspection" }],
    caption: { zh: "工程完工，客户申请竣工检验：进入竣工检验与合同环节（限 3 个工作日）", en: "Built: the customer asks for the completion inspection (3 working days)" },
  },
  {
    stage: 4, who: "manager", do: "press", button: { zh: "打开申请", en: "Open the application" }, expect: ["manager", { zh: "检验合格，发送合同", en: "Inspection passed: send the contract" }],
    caption: { zh: "客户经理打开申请卡片", en: "The manager opens the card" },
  },
  {
    stage: 4, who: "manager", do: "press", button: { zh: "检验合格，发送合同", en: "Inspection passed: send the contract" }, expect: ["manager", { zh: "供用电合同", en: "supply contract" }],
    caption: { zh: "检验合格，发送供用电合同", en: "Inspection passed; the supply contract goes out" },
  },
  {
    stage: 4, who: "manager", do: "upload", file: { zh: "供用电合同.pdf", en: "supply-contract.pdf" }, expect: ["manager", { zh: "已收到 1 个文件", en: "1 file received" }],
    caption: { zh: "上传合同文件", en: "Uploading the contract" },
  },
  {
    stage: 4, who: "manager", do: "press", button: { zh: "✅ 文件已发完", en: "✅ All files sent" }, expect: ["customer", { zh: "确认已签订合同", en: "Confirm the contract is signed" }],
    caption: { zh: "客户收到合同", en: "The customer receives the contract" },
  },
  {
    stage: 4, who: "customer", do: "press", button: { zh: "确认已签订合同", en: "Confirm the contract is signed" }, expect: ["manager", { zh: "确认已签订合同", en: "Confirm the contract is signed" }],
    caption: { zh: "客户确认已签订合同，进入装表接电环节（限 3 个工作日）", en: "Contract signed: meter installation and power-on begin (3 working days)" },
  },
  {
    stage: 5, who: "manager", do: "press", button: { zh: "打开申请", en: "Open the application" }, expect: ["manager", { zh: "安排装表送电", en: "Schedule meter and energization" }],
    caption: { zh: "客户经理打开申请卡片", en: "The manager opens the card" },
  },
  {
    stage: 5, who: "manager", do: "press", button: { zh: "安排装表送电", en: "Schedule meter and energization" }, expect: ["manager", { zh: "同一天完成", en: "same day" }],
    caption: { zh: "安排装表接电和送电：同一个工作日完成", en: "Scheduling meter and power-on: one working day for both" },
  },
  {
    stage: 5, who: "manager", do: "type", text: "{workday+1}", expect: ["customer", { zh: "装表接电和送电安排在", en: "are set for" }], retry: { zh: "工作日", en: "working day" },
    caption: { zh: "客户收到送电日期", en: "The customer is told the day" },
  },
  {
    stage: 5, who: "manager", do: "clock", step: "workday",
    caption: { zh: "时钟跳到送电当天", en: "The clock jumps to that day" },
  },
  {
    stage: 5, who: "manager", do: "press", button: { zh: "打开申请", en: "Open the application" }, expect: ["manager", { zh: "已送电", en: "Energized" }],
    caption: { zh: "装表、送电完成，客户经理打开卡片", en: "Meter in and power on; the manager opens the card" },
  },
  {
    stage: 5, who: "manager", do: "press", button: { zh: "已送电", en: "Energized" }, expect: ["customer", { zh: "已送电", en: "is energized" }],
    caption: { zh: "标记已送电：客户收到送电通知，五个环节全部完成", en: "Marked energized: the customer is told; all five stages are done" },
  },
  {
    stage: 6, who: "customer", do: "clock", step: "workday", expect: ["customer", { zh: "满意", en: "Satisfaction survey" }],
    caption: { zh: "送电后一个工作日，客户收到满意度调查", en: "One working day later the customer is invited to the satisfaction survey" },
  },
  ...[
    ["5", "2/6", "总体满意度：5 分", "overall satisfaction: 5"],
    ["5", "3/6", "办电速度：5 分", "speed: 5"],
    ["5", "4/6", "客户经理的服务：5 分", "the customer manager's service: 5"],
    ["4", "5/6", "进度告知是否及时：4 分", "kept informed: 4"],
    ["10", "6/6", "推荐意愿：10 分", "would recommend: 10"],
  ].map(([button, next, zh, en]) => ({
    stage: 6, who: "customer", do: "press", button, expect: ["customer", next],
    caption: { zh: `客户答题，每答一题即保存：${zh}`, en: `The customer answers; each answer is saved at once: ${en}` },
  })),
  {
    stage: 6, who: "customer", do: "type", text: { zh: "办电很快，客户经理很专业。", en: "A quick connection and a very professional manager." }, expect: ["customer", { zh: "感谢您的评价", en: "Thank you for your feedback" }],
    caption: { zh: "客户留下意见，调查完成", en: "A comment, and the survey is complete" },
  },
];

/** The steps played in `lang` (zh | en): the one story, less the other language's own steps. */
function storySteps(lang) {
  return STORY.filter((step) => !step.lang || step.lang === lang);
}

/** A step's text in `lang`: one string for both, or {zh, en}. */
function inLanguage(value, lang) {
  return typeof value === "string" ? value : value[lang];
}
