/* The clock panel: the bot's time (it keeps running), working day or not, and the jumps. */
"use strict";

const Clock = {
  view: null, // the last answer of /api/clock
  fetchedAt: 0, // performance.now() when it came

  init() {
    document.querySelectorAll(".clock-buttons button").forEach((button) => {
      button.addEventListener("click", () => Clock.advance(button.dataset.step));
    });
    setInterval(Clock.draw, 1000);
    // The working-day badge changes at midnight; the server knows the calendar.
    setInterval(() => Clock.load(), 60 * 1000);
  },

  async load() {
    try {
      Clock.show(await Api.get("/api/clock"));
    } catch (error) {
      Notice.toast(error.message);
    }
  },

  async advance(step) {
    try {
      Clock.show(await Api.post("/api/clock", { step }));
    } catch (error) {
      Notice.toast(error.status === 409 ? I18n.t("noDeadline") : error.message);
    }
  },

  onShow: null, // told when a new view came: times drawn elsewhere depend on "today"

  show(view) {
    Clock.view = view;
    Clock.fetchedAt = performance.now();
    Clock.draw();
    if (Clock.onShow) Clock.onShow();
  },

  /** The bot's current moment in milliseconds since the epoch. */
  nowMillis() {
    if (!Clock.view) return Date.now();
    return Date.parse(Clock.view.now) + (performance.now() - Clock.fetchedAt);
  },

  /** "HH:MM" of a unix time, in the bot's time zone. */
  timeOf(unixSeconds) {
    return Clock._format(unixSeconds * 1000, { hour: "2-digit", minute: "2-digit" });
  },

  /** The day of a unix time in the bot's zone: a key to compare and a label to show. */
  dayOf(unixSeconds) {
    const millis = unixSeconds * 1000;
    const parts = Clock._format(millis, { year: "numeric", month: "2-digit", day: "2-digit" }).split("/");
    const key = `${parts[2]}-${parts[1]}-${parts[0]}`;
    const weekday = Clock._format(millis, { weekday: "short" });
    const index = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"].indexOf(weekday);
    return { key, label: `${key} ${index >= 0 ? I18n.t("weekdays")[index] : weekday}` };
  },

  /** "3 d 2 h 15 min": how far the bot's clock runs ahead of the real one. */
  aheadText(seconds) {
    const days = Math.floor(seconds / 86400);
    const hours = Math.floor((seconds % 86400) / 3600);
    const minutes = Math.floor((seconds % 3600) / 60);
    const parts = [];
    if (days) parts.push(`${days} ${I18n.t("days")}`);
    if (hours) parts.push(`${hours} ${I18n.t("hours")}`);
    if (minutes || !parts.length) parts.push(`${minutes} ${I18n.t("minutes")}`);
    return `${I18n.t("offset")} ${parts.join(" ")}`;
  },

  /** When a chat last changed, as Telegram's chat list says it: the time today, the
   * weekday within a week, the date before that (all by the bot's clock, which may run ahead). */
  whenOf(unixSeconds) {
    const millis = unixSeconds * 1000;
    const day = (m) => Clock._format(m, { year: "numeric", month: "2-digit", day: "2-digit" });
    const now = Clock.nowMillis();
    if (day(millis) === day(now)) return Clock.timeOf(unixSeconds);
    if (now - millis < 6 * 24 * 3600 * 1000 && millis < now) {
      const weekday = Clock._format(millis, { weekday: "short" });
      const index = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"].indexOf(weekday);
      return index >= 0 ? I18n.t("weekdays")[index] : weekday;
    }
    return Clock._format(millis, { month: "2-digit", day: "2-digit" }).split("/").reverse().join("-");
  },

  _format(millis, options) {
    const tz = Clock.view ? Clock.view.tz : "Asia/Shanghai";
    try {
      return new Intl.DateTimeFormat("en-GB", { ...options, hourCycle: "h23", timeZone: tz }).format(millis);
    } catch (_) {
      return new Intl.DateTimeFormat("en-GB", { ...options, hourCycle: "h23" }).format(millis);
    }
  },

  draw() {
    const view = Clock.view;
    if (!view) return;
    const now = Clock.nowMillis();
    document.querySelector("[data-testid=clock-time]").textContent =
      Clock._format(now, { hour: "2-digit", minute: "2-digit", second: "2-digit" });
    const weekday = I18n.t("weekdays")[view.weekday - 1];
    const zone = view.tz === "Asia/Shanghai" ? I18n.t("beijing") : view.tz;
    document.querySelector("[data-testid=clock-date]").textContent = `${view.date} ${weekday} · ${zone}`;
    const day = document.querySelector("[data-testid=clock-day]");
    day.textContent = I18n.t(view.workday ? "workday" : "restDay");
    day.classList.toggle("rest", !view.workday);
    document.querySelector("[data-testid=clock-provisional]").hidden = !view.provisional;
    const ahead = document.querySelector("[data-testid=clock-offset]");
    ahead.hidden = !(view.offset_seconds > 0);
    ahead.textContent = Clock.aheadText(view.offset_seconds);
    const deadline = document.querySelector("[data-testid=clock-deadline]");
    deadline.disabled = !view.next_deadline;
    deadline.title = view.next_deadline || I18n.t("noDeadline");
    const panel = document.querySelector("[data-testid=clock-panel]");
    panel.dataset.now = view.now;
    panel.dataset.offset = String(view.offset_seconds);
  },
};
