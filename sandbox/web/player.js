/* The player of "Play the story" (the steps are in story.js).

It acts only through the page: it types into the composer and submits it, clicks the real
buttons of the real messages, attaches files through the paperclip's file input, and moves
the clock as the clock panel does. To know that the bot answered it reads the chats through
the page's own API, so a story that plays to the end is also a smoke test of the bot: a
step whose answer does not come within the ceiling stops the story and says which one.
*/
"use strict";

const PDF_BYTES = "%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";
const POLL_MS = 250;
const PAUSE_MS = 1800; // between steps at 1×: time to read the caption and the reply
const TYPING_MS = 45; // per character at 1×
const RETRIES = 7; // a date that falls on a holiday moves on, at most a week

const Player = {
  state: "idle", // idle | playing | paused | failed | done
  ceilingMs: 90 * 1000, // for the bot's answer: generous (a loaded machine, the outbox's pacing)
  speed: 1,
  index: 0, // steps done
  shown: 0, // the step the caption tells: the one running, or the last one run while waiting
  vars: {},
  lang: null, // the language the running story is played in, fixed when it starts
  steps: [], // the story's steps in that language (story.js)
  shift: 0, // extra days added to {workday+N} after the bot refused a date
  stepsAllowed: 0, // Step while paused lets exactly this many steps run
  held: false,
  _wake: null,
  _seen: {}, // user id -> newest bot message id before the running step acted
  days: null, // the latest "used X/Y working days" read from the bot's messages, by stage

  init() {
    document.getElementById("story-play").addEventListener("click", () => Player.play());
    document.getElementById("story-pause").addEventListener("click", () => Player.togglePause());
    document.getElementById("story-step").addEventListener("click", () => Player.step());
    document.getElementById("story-close").addEventListener("click", () => Player.close());
    const speed = document.getElementById("story-speed");
    speed.addEventListener("change", () => { Player.speed = Number(speed.value) || 1; });
    Player.draw();
  },

  // -- controls ------------------------------------------------------------------------------

  async play() {
    if (Player.state === "playing" || Player.state === "paused") return;
    Player.state = "playing";
    Player.lang = I18n.lang;
    Player.steps = storySteps(Player.lang);
    Player.index = 0;
    Player.shown = 0;
    Player.vars = {};
    Player.shift = 0;
    Player.days = null;
    Player.failure = null;
    App._togglePanel(false);
    document.getElementById("story").hidden = false;
    Player.draw();
    document.getElementById("story-pause").focus();
    try {
      while (Player.index < Player._list().length) {
        await Player._gate();
        Player.shown = Player.index;
        Player.draw();
        try {
          await Player._run(Player._list()[Player.index]);
        } catch (error) {
          // A refused call (the server's own words) is told with the step it stopped.
          if (!error.fromStory) error.message = Player._errorText(Player._list()[Player.index], error.message);
          throw error;
        }
        Player.index += 1;
        Player.draw();
        if (Player.index < Player._list().length) await Player._sleep(PAUSE_MS);
      }
      Player.state = "done";
    } catch (error) {
      Player.state = "failed";
      Player.failure = error.message;
    }
    Player.draw();
  },

  togglePause() {
    if (Player.state === "playing") Player.state = "paused";
    else if (Player.state === "paused") { Player.state = "playing"; Player._release(); }
    Player.draw();
  },

  /** While paused: run exactly one more step, then stay paused. */
  step() {
    if (Player.state !== "paused" || !Player.held) return;
    Player.stepsAllowed += 1;
    Player._release();
  },

  close() {
    if (Player.state === "playing" || Player.state === "paused") return;
    Player.state = "idle";
    Player.lang = null; // the next story follows the page's language again
    document.getElementById("story").hidden = true;
    document.getElementById("story-play").focus();
    Player.draw();
  },

  /** The steps played (or, before a story, the ones Play would play in the page's language). */
  _list() {
    return Player.lang ? Player.steps : storySteps(I18n.lang);
  },

  /** A step's text in the story's language, with {number} and {workday+N} filled in. */
  _text(value) {
    return Player._fill(inLanguage(value, Player.lang || I18n.lang));
  },

  _release() {
    const wake = Player._wake;
    Player._wake = null;
    if (wake) wake();
  },

  /** Wait here while paused, unless Step allowed one more. */
  async _gate() {
    while (Player.state === "paused") {
      if (Player.stepsAllowed > 0) { Player.stepsAllowed -= 1; break; }
      Player._hold(true);
      await new Promise((resolve) => { Player._wake = resolve; });
    }
    Player._hold(false);
  },

  /** Held at the gate (paused between steps): Step is offered only then. The attribute is
   * a signal for whoever waits on the pause (the browser tests do). */
  _hold(held) {
    Player.held = held;
    document.getElementById("story").dataset.held = String(held);
    document.getElementById("story-step").disabled = !held;
  },

  /** A pause that scales with the speed and ends early on Step or Resume. */
  _sleep(millis) {
    return new Promise((resolve) => {
      const timer = setTimeout(() => { Player._wake = null; resolve(); }, millis / Player.speed);
      Player._wake = () => { clearTimeout(timer); resolve(); };
    });
  },

  // -- one step ------------------------------------------------------------------------------

  async _run(step) {
    if (step.after) await Player._waitFor(step.after[0], Player._text(step.after[1]), 0);
    if (step.do === "add") { await Player._addCustomer(step); return; }
    const user = Player._user(step.who);
    await Player._remember();
    for (let attempt = 0; ; attempt += 1) {
      await Player._act(step, user);
      if (!step.expect) { await Player._readDays(); return; }
      const [who, text] = step.expect;
      const found = await Player._waitFor(who, Player._text(text), Player._seen[Player._user(who)] || 0,
        step.retry ? { user, text: Player._text(step.retry), after: Player._seen[user] || 0 } : null);
      if (found.retry) {
        if (attempt >= RETRIES) {
          const error = new Error(Player._failText(step, Player._text(text)));
          error.fromStory = true;
          throw error;
        }
        Player.shift += 1;
        await Player._remember();
        continue;
      }
      if (step.capture) {
        for (const [name, pattern] of Object.entries(step.capture)) {
          const match = new RegExp(pattern).exec(found.text);
          if (match) Player.vars[name] = match[0];
        }
      }
      await Player._readDays();
      return;
    }
  },

  async _act(step, user) {
    if (step.do === "clock") {
      // The clock panel's own call, and its own drawing of the answer.
      Clock.show(await Api.post("/api/clock", { step: step.step }));
      return;
    }
    await Player._open(user);
    if (step.do === "type") await Player._type(Player._text(step.text));
    else if (step.do === "tap") await Player._tap(Player._text(step.button));
    else if (step.do === "press") await Player._press(user, step);
    else if (step.do === "upload") await Player._upload(Player._text(step.file));
  },

  async _addCustomer(step) {
    const form = document.getElementById("add-customer");
    const before = new Set(App.personas.map((p) => p.user_id));
    form.name.value = step.name[I18n.lang] || step.name.zh;
    // His phone speaks Chinese; the English story has him choose English in the chat (/lang).
    form.language.value = "zh";
    form.requestSubmit();
    await Player._until(() => {
      const added = App.personas.find((p) => !before.has(p.user_id) && p.role === "customer");
      if (added && App.active === added.user_id) { Player.vars.customer = added.user_id; return true; }
      return false;
    }, I18n.t("storyAdding"));
  },

  /** The persona of a role: the story's own customer, or the first staff member of it. */
  _user(who) {
    if (who === "customer") return Player.vars.customer;
    const role = { manager: "customer_manager", project: "project_manager", supervisor: "supervisor" }[who];
    const persona = App.personas.find((p) => p.role === role);
    if (!persona) throw new Error(`${I18n.t("storyNoPersona")} ${I18n.t(`role_${role}`)}`);
    return persona.user_id;
  },

  async _open(user) {
    if (App.active !== user) App.select(user);
    await App.loadChat();
  },

  async _type(text) {
    const input = document.getElementById("text-input");
    const pace = Math.min(TYPING_MS, 1500 / Math.max(1, text.length)) / Player.speed;
    for (let i = 1; i <= text.length; i += 1) {
      input.value = text.slice(0, i);
      App._fitInput();
      if (pace >= 4) await new Promise((resolve) => setTimeout(resolve, pace));
    }
    document.getElementById("composer").requestSubmit();
  },

  async _tap(label) {
    const key = await Player._until(() => Array.from(document.querySelectorAll("#reply-keyboard button"))
      .find((b) => b.textContent.includes(label)), label);
    await Player._highlight(key);
    key.click();
  },

  /** The button in the newest message that carries it, clicked in the page. */
  async _press(user, step) {
    const label = Player._text(step.button);
    const message = await Player._until(async () => {
      const chat = await Api.get(`/api/chats/${user}?after=0`);
      const carrying = chat.messages.slice().reverse().filter((m) => m.from_bot && m.buttons.some((row, index) =>
        row.some((b) => b.text === label) || (step.row !== undefined && index === step.row && row.length)));
      // Staff see other applications too (an earlier story's, say): the newest message that
      // carries the button, unless it names another application than this story's.
      const number = Player.vars.number;
      const other = (m) => /HV-\d{4}-\d{6}/.test(Player._says(m)) && !Player._says(m).includes(number);
      if (!number || !carrying.length || !other(carrying[0])) return carrying[0];
      return carrying.find((m) => !other(m));
    }, label);
    const element = await Player._until(() => {
      const node = document.querySelector(`#messages [data-message-id="${message.message_id}"]`);
      if (!node) return null;
      const rows = Array.from(node.querySelectorAll(".inline-row"));
      const exact = Array.from(node.querySelectorAll(".inline-row > button")).find((b) => b.textContent === label);
      return exact || (step.row !== undefined && rows[step.row] ? rows[step.row].querySelector("button") : null);
    }, label);
    await Player._highlight(element);
    element.click();
  },

  async _upload(name) {
    // What the paperclip does: a file chosen in the file input, announced by "change".
    const input = document.getElementById("file-input");
    const transfer = new DataTransfer();
    transfer.items.add(new File([PDF_BYTES], name, { type: "application/pdf" }));
    input.files = transfer.files;
    input.dispatchEvent(new Event("change"));
  },

  async _highlight(element) {
    element.scrollIntoView({ block: "nearest" });
    element.classList.add("story-target");
    await Player._sleep(PAUSE_MS / 3);
    element.classList.remove("story-target");
  },

  // -- waiting for the bot -----------------------------------------------------------------

  async _remember() {
    for (const who of ["customer", "manager", "project", "supervisor"]) {
      let user;
      try { user = Player._user(who); } catch (_) { continue; }
      if (!user) continue;
      const chat = await Api.get(`/api/chats/${user}?after=0`);
      Player._seen[user] = Math.max(0, ...chat.messages.filter((m) => m.from_bot).map((m) => m.message_id));
    }
  },

  /** The first bot message in `who`'s chat newer than `after` that contains `text`;
   * `{ retry: true }` instead if a refusal (`retry`) comes first in the actor's chat. */
  async _waitFor(who, text, after, retry = null) {
    const user = Player._user(who);
    const found = await Player._until(async () => {
      if (retry) {
        const own = await Api.get(`/api/chats/${retry.user}?after=0`);
        const refused = own.messages.find((m) => m.from_bot && m.message_id > retry.after
          && (m.text || m.caption || "").includes(retry.text) && (m.text || "").includes("⚠️"));
        if (refused) return { retry: true };
      }
      const chat = await Api.get(`/api/chats/${user}?after=0`);
      const message = chat.messages.find((m) => m.from_bot && m.message_id > after
        && Player._says(m).includes(text));
      return message ? { text: message.text || message.caption || "" } : null;
    }, text, who);
    if (!found.retry && App.active !== user) await Player._open(user); // show where it arrived
    return found;
  },

  /** What a message shows: its text or caption and the text of its buttons. */
  _says(message) {
    const buttons = message.buttons.flat().map((b) => b.text);
    return [message.text || message.caption || ""].concat(buttons).join("\n");
  },

  /** Poll `check` until it gives something, or stop the story with what was awaited. */
  async _until(check, awaited, who = null) {
    const started = performance.now();
    for (;;) {
      let value = null;
      try { value = await check(); } catch (_) { value = null; } // offline: try again
      if (value) return value;
      if (performance.now() - started > Player.ceilingMs) {
        const error = new Error(Player._failText(Player._list()[Player.index], awaited, who));
        error.fromStory = true;
        throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  },

  _failText(step, awaited, who = null) {
    const chat = who ? I18n.t(`storyWho_${who}`) : I18n.t(`storyWho_${step.who}`);
    return I18n.t("storyFailed")
      .replace("{n}", String(Player.shown + 1))
      .replace("{caption}", step.caption[I18n.lang] || step.caption.zh)
      .replace("{chat}", chat)
      .replace("{text}", awaited)
      .replace("{seconds}", String(Player.ceilingMs / 1000));
  },

  _errorText(step, message) {
    return I18n.t("storyError")
      .replace("{n}", String(Player.shown + 1))
      .replace("{caption}", step.caption[I18n.lang] || step.caption.zh)
      .replace("{error}", message);
  },

  /** The working days used of the stage's limit, as the staff's newest card or reminder
   * about that stage says it (the bot's own count; the page does not redo the calendar). */
  async _readDays() {
    const step = Player._list()[Player.index];
    const stage = step && STAGES[step.stage - 1];
    if (!stage) return;
    const lang = Player.lang || I18n.lang;
    let newest = null;
    for (const who of ["manager", "project"]) {
      try {
        const chat = await Api.get(`/api/chats/${Player._user(who)}?after=0`);
        for (const message of chat.messages) {
          const text = message.text || "";
          // The card's "用时 3/10 个工作日" | "3/10 working days", the reminder's
          // "已用 3/10 个工作日" | "3 of 10 working days used".
          const match = lang === "en"
            ? /(\d+)(?:\/| of )(\d+) working days/.exec(text)
            : /(?:用时|已用) (\d+)\/(\d+) 个工作日/.exec(text);
          if (match && text.includes(stage[lang]) && (!newest || message.date >= newest.date)) {
            newest = { date: message.date, used: Number(match[1]), limit: Number(match[2]) };
          }
        }
      } catch (_) { /* the caption keeps the last count */ }
    }
    if (newest) Player.days = { stage: step.stage, used: newest.used, limit: newest.limit };
  },

  /** The step's text with {number} and {workday+N} filled in from the bot's own clock. */
  _fill(text) {
    return text
      .replace(/\{number\}/g, Player.vars.number || "HV-")
      .replace(/\{workday\+(\d)\}/g, (_, n) => Player._workday(Number(n) + Player.shift));
  },

  _workday(ahead) {
    const [y, m, d] = ((Clock.view && Clock.view.date) || new Date().toISOString().slice(0, 10))
      .split("-").map(Number);
    const day = new Date(Date.UTC(y, m - 1, d));
    let left = ahead;
    while (left > 0) {
      day.setUTCDate(day.getUTCDate() + 1);
      if (day.getUTCDay() !== 0 && day.getUTCDay() !== 6) left -= 1;
    }
    return day.toISOString().slice(0, 10);
  },

  // -- the caption bar -----------------------------------------------------------------------

  draw() {
    const bar = document.getElementById("story");
    const step = Player._list()[Math.min(Player.shown, Player._list().length - 1)];
    bar.dataset.state = Player.state;
    bar.dataset.step = String(Player.index);
    bar.dataset.stage = String(step.stage);
    const lang = I18n.lang;
    const pills = document.getElementById("story-stages");
    pills.replaceChildren();
    STAGES.concat([{ zh: "满意度调查", en: "Survey" }]).forEach((stage, index) => {
      const pill = document.createElement("li");
      pill.textContent = `${index < 5 ? `${index + 1} ` : ""}${stage[lang]}`;
      if (index + 1 < step.stage || Player.state === "done") pill.className = "past";
      if (index + 1 === step.stage && Player.state !== "done") {
        pill.className = "current";
        pill.setAttribute("aria-current", "step");
      }
      pills.appendChild(pill);
    });
    let caption = step.caption[lang] || step.caption.zh;
    if (Player.state === "done") caption = I18n.t("storyDone");
    if (Player.state === "failed") caption = Player.failure;
    document.getElementById("story-caption").textContent = caption;
    const stage = STAGES[step.stage - 1];
    let clock = "";
    if (stage) {
      const days = Player.days && Player.days.stage === step.stage ? Player.days : null;
      clock = days
        ? I18n.t("storyDays").replace("{used}", String(days.used)).replace("{limit}", String(days.limit))
        : I18n.t("storyLimit").replace("{limit}", String(stage.limit));
    }
    document.getElementById("story-days").textContent = clock;
    document.getElementById("story-count").textContent = `${Player.shown + 1}/${Player._list().length}`;
    bar.classList.toggle("failed", Player.state === "failed");
    document.getElementById("story-caption").setAttribute("role", Player.state === "failed" ? "alert" : "status");
    const running = Player.state === "playing" || Player.state === "paused";
    const pause = document.getElementById("story-pause");
    pause.disabled = !running;
    pause.textContent = I18n.t(Player.state === "paused" ? "storyResume" : "storyPause");
    pause.setAttribute("aria-pressed", String(Player.state === "paused"));
    document.getElementById("story-step").disabled = !(Player.state === "paused" && Player.held);
    document.getElementById("story-close").hidden = running;
    document.getElementById("story-play").disabled = running;
  },
};
