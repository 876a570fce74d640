/* The page: personas on the left, the chosen persona's chat with the bot on the right.

A server-sent event stream carries a snapshot (personas, unread counts, versions) after
every change; the open chat then fetches only what changed since its last mark.
*/
"use strict";

const App = {
  personas: [],
  active: null, // user id of the open chat
  mark: 0, // the chat's changes up to here are on screen
  seenSeq: 0, // the open chat's last change the page knows of
  generation: null,
  clockVersion: null,
  keyboardOpen: false,
  loading: null,
  reloadWanted: false,

  init() {
    I18n.apply(document);
    App._bindComposer();
    Viewer.bind();
    Personas.bind();
    Player.init();
    Clock.onShow = () => App.drawPersonas();
    Clock.init();
    Clock.load();
    App._languageButton();
    App._connect();
    const wanted = Number(location.hash.slice(1));
    if (wanted) App.active = wanted;
    App._clearMessages(); // the hint must speak of the chat in the address, not of picking one
    App._showChatOnPhone(App.active !== null);
    App._bindKeyboard();
    App._drawChatHeader();
  },

  // -- live snapshots -----------------------------------------------------------------

  online: true,

  /** The live stream; while the server is away the page says so, and the browser retries. */
  _connect() {
    const stream = new EventSource("/api/events");
    stream.onmessage = (event) => App.onSnapshot(JSON.parse(event.data));
    stream.onopen = () => App.setOnline(true);
    stream.onerror = () => {
      App.setOnline(false);
      // An answer other than the stream (a proxy's error page) stops EventSource's own retries.
      if (stream.readyState === EventSource.CLOSED) setTimeout(App._connect, 2000);
    };
  },

  setOnline(online) {
    if (online === App.online) return;
    App.online = online;
    document.getElementById("connection").hidden = online;
    document.body.classList.toggle("offline", !online);
    if (online) {
      // Whatever happened meanwhile (a restart, the bot's replies) is fetched afresh.
      App.mark = 0;
      App.seenSeq = 0;
      App._clearMessages();
      Clock.load();
      if (App.active !== null) App.loadChat();
    }
  },

  onSnapshot(snapshot) {
    const reset = App.generation !== null && snapshot.generation !== App.generation;
    App.generation = snapshot.generation;
    App.personas = snapshot.personas;
    if (reset) {
      App.mark = 0;
      App.seenSeq = 0;
      App._clearMessages();
    }
    if (App.active !== null && !App._persona(App.active)) App.select(null);
    App.drawPersonas();
    if (snapshot.clock_version !== App.clockVersion) {
      App.clockVersion = snapshot.clock_version;
      Clock.load();
    }
    const open = App._persona(App.active);
    if (open && (open.seq !== App.seenSeq || App.mark === 0)) {
      App.seenSeq = open.seq;
      App.loadChat();
    }
  },

  _persona(userId) {
    return App.personas.find((p) => p.user_id === userId) || null;
  },

  drawPersonas() {
    Personas.draw(App.personas, App.active, App.select);
  },

  // -- the open chat ----------------------------------------------------------------------

  select(userId) {
    App.active = userId;
    App.mark = 0;
    App.seenSeq = 0;
    App.keyboardOpen = false;
    history.replaceState(null, "", userId === null ? location.pathname : `#${userId}`);
    App._showChatOnPhone(userId !== null);
    App._clearMessages();
    App._clearJump();
    App._drawChatHeader();
    App.drawPersonas();
    App._toggleMenu(false);
    if (userId !== null) App.loadChat();
  },

  /** On a phone the page shows the list of chats or one chat, as Telegram does. */
  _showChatOnPhone(open) {
    document.body.classList.toggle("chat-open", open);
  },

  _toggleMenu(open) {
    document.getElementById("command-menu").hidden = !open;
    document.getElementById("menu-button").setAttribute("aria-expanded", String(open));
  },

  _togglePanel(open) {
    document.body.classList.toggle("panel-open", open);
    document.getElementById("panel-toggle").setAttribute("aria-expanded", String(open));
  },

  /**
   * Keys: Escape closes what is open (menu, sandbox panel, the chat on a phone); the inline
   * buttons of all messages are one Tab stop (the newest keyboard's first button), and the
   * arrow keys move among them, so that Tab does not walk every old message's buttons.
   */
  _bindKeyboard() {
    document.addEventListener("keydown", (event) => {
      if (event.key !== "Escape" || !document.getElementById("modal").hidden) return;
      if (!document.getElementById("command-menu").hidden) {
        App._toggleMenu(false);
        document.getElementById("menu-button").focus();
      } else if (document.body.classList.contains("panel-open")) {
        App._togglePanel(false);
        document.getElementById("panel-toggle").focus();
      }
    });
    const list = document.getElementById("messages");
    list.addEventListener("scroll", () => {
      // Scrolled up by more than a screen: offer the way back down; at the bottom, all seen.
      const far = list.scrollHeight - list.scrollTop - list.clientHeight > list.clientHeight;
      if (App._nearBottom()) App._clearJump();
      else if (far) document.getElementById("jump").hidden = false;
    });
    document.getElementById("jump").addEventListener("click", () => {
      App._jumpToNewest();
      document.getElementById("text-input").focus();
    });
    list.addEventListener("keydown", (event) => {
      const keys = { ArrowDown: 1, ArrowRight: 1, ArrowUp: -1, ArrowLeft: -1, Home: "first", End: "last" };
      if (!(event.key in keys)) return;
      const buttons = App._inlineButtons();
      const index = buttons.indexOf(document.activeElement);
      if (index < 0) return;
      event.preventDefault();
      const step = keys[event.key];
      const next = step === "first" ? 0 : step === "last" ? buttons.length - 1
        : Math.min(buttons.length - 1, Math.max(0, index + step));
      App._rove(buttons[next]);
      buttons[next].focus();
    });
    list.addEventListener("focusin", (event) => {
      if (event.target.matches(".inline-row > *")) App._rove(event.target);
    });
  },

  _inlineButtons() {
    return Array.from(document.querySelectorAll("#messages .inline-row > :is(button:not(:disabled), a)"));
  },

  /** Make `target` (or else the newest keyboard's first button) the one Tab stop. */
  _rove(target) {
    const buttons = App._inlineButtons();
    if (!buttons.length) return;
    let stop = target;
    if (!stop) {
      const keyboards = document.querySelectorAll("#messages .inline-keyboard");
      const newest = keyboards[keyboards.length - 1];
      stop = buttons.find((b) => newest && newest.contains(b)) || buttons[buttons.length - 1];
    }
    for (const button of buttons) button.tabIndex = button === stop ? 0 : -1;
  },

  _drawChatHeader() {
    const persona = App._persona(App.active);
    document.getElementById("chat").classList.toggle("disabled", !persona);
    // Disabled for real, not only drawn faint: out of the Tab order and announced as such.
    document.querySelectorAll("#composer :is(button, textarea)").forEach((control) => {
      control.disabled = !persona;
    });
    document.querySelector("[data-testid=chat-title]").textContent = persona ? persona.name : "";
    document.querySelector("[data-testid=chat-subtitle]").textContent = persona
      ? `${I18n.t(`role_${persona.role}`)} · id ${persona.user_id}${persona.note ? ` · ${persona.note}` : ""}`
      : "";
  },

  _clearMessages() {
    const list = document.getElementById("messages");
    list.replaceChildren();
    const hint = document.createElement("p");
    hint.className = "empty";
    hint.id = "empty-hint";
    hint.dataset.i18n = App.active === null ? "pickPersona" : "noMessages";
    hint.setAttribute("data-testid", "empty-hint");
    hint.textContent = I18n.t(hint.dataset.i18n);
    list.appendChild(hint);
    document.getElementById("reply-keyboard").hidden = true;
    document.getElementById("keyboard-toggle").hidden = true;
  },

  /** Fetch what changed since the mark; one request at a time, repeated if asked meanwhile. */
  async loadChat() {
    if (App.loading) { App.reloadWanted = true; return App.loading; }
    const userId = App.active;
    App.loading = (async () => {
      try {
        const data = await Api.get(`/api/chats/${userId}?after=${App.mark}`);
        if (userId !== App.active) return;
        App._drawChatHeader();
        App._upsert(data.messages);
        App.mark = data.mark;
        App._drawKeyboard(data.keyboard);
        App._drawCommands(data.commands);
      } catch (error) {
        Notice.toast(error.message);
      }
    })();
    await App.loading;
    App.loading = null;
    if (App.reloadWanted) { App.reloadWanted = false; await App.loadChat(); }
    return undefined;
  },

  _nearBottom() {
    const list = document.getElementById("messages");
    return list.scrollHeight - list.scrollTop - list.clientHeight < 80;
  },

  _upsert(views) {
    const list = document.getElementById("messages");
    const nearBottom = App._nearBottom();
    const newest = Math.max(0, ...Array.from(list.querySelectorAll("[data-message-id]"),
      (node) => Number(node.dataset.messageId)));
    const actions = {
      press: App.press, command: (text) => App.sendText(text), time: Clock.timeOf, view: Viewer.open,
    };
    for (const view of views) {
      const old = list.querySelector(`[data-message-id="${view.message_id}"]`);
      if (view.deleted) { if (old) old.remove(); continue; }
      const element = Messages.render(view, actions);
      // A photo gets its height when it loads; keep the newest message in view meanwhile.
      element.querySelectorAll("img").forEach((image) => image.addEventListener("load", () => {
        if (nearBottom || App.mark === 0) list.scrollTop = list.scrollHeight;
      }));
      if (old) { old.replaceWith(element); continue; }
      const later = Array.from(list.querySelectorAll("[data-message-id]"))
        .find((node) => Number(node.dataset.messageId) > view.message_id);
      list.insertBefore(element, later || null);
    }
    const hint = document.getElementById("empty-hint");
    if (hint) hint.hidden = list.querySelector("[data-message-id]") !== null;
    App._drawDays();
    if (!nearBottom && App.mark !== 0) {
      // Out of sight: mark where the unseen ones begin and count them on the jump button.
      const unseen = views.filter((v) => !v.deleted && v.message_id > newest);
      if (unseen.length) App._markUnseen(unseen[0].message_id, unseen.length);
    }
    const focused = document.activeElement;
    App._rove(list.contains(focused) && focused.matches(".inline-row > *") ? focused : null);
    if (nearBottom || App.mark === 0) list.scrollTop = list.scrollHeight;
  },

  /** A date line wherever the day changes, as Telegram draws one: the clock jumps days. */
  _drawDays() {
    const list = document.getElementById("messages");
    list.querySelectorAll(".day").forEach((line) => line.remove());
    let previous = null;
    for (const node of list.querySelectorAll("[data-message-id]")) {
      const day = Clock.dayOf(Number(node.dataset.date));
      if (day.key !== previous) {
        const line = document.createElement("div");
        line.className = "day";
        line.setAttribute("data-testid", "day");
        line.setAttribute("role", "separator");
        line.textContent = day.label;
        list.insertBefore(line, node);
        previous = day.key;
      }
    }
  },

  _markUnseen(firstId, count) {
    const list = document.getElementById("messages");
    if (!list.querySelector(".unseen")) {
      const first = list.querySelector(`[data-message-id="${firstId}"]`);
      const marker = document.createElement("div");
      marker.className = "unseen";
      marker.setAttribute("data-testid", "new-marker");
      marker.dataset.i18n = "newMessages";
      marker.textContent = I18n.t("newMessages");
      if (first) list.insertBefore(marker, first);
    }
    const jump = document.getElementById("jump");
    const badge = jump.querySelector(".jump-count");
    const total = Number(badge.textContent || 0) + count;
    badge.textContent = String(total);
    badge.hidden = false;
    jump.hidden = false;
  },

  _jumpToNewest() {
    const list = document.getElementById("messages");
    list.scrollTop = list.scrollHeight;
    App._clearJump();
  },

  _clearJump() {
    const jump = document.getElementById("jump");
    jump.hidden = true;
    const badge = jump.querySelector(".jump-count");
    badge.textContent = "";
    badge.hidden = true;
  },

  _drawKeyboard(keyboard) {
    const area = document.getElementById("reply-keyboard");
    const toggle = document.getElementById("keyboard-toggle");
    area.replaceChildren();
    const input = document.getElementById("text-input");
    input.placeholder = (keyboard && keyboard.placeholder) || I18n.t("message");
    if (!keyboard) { area.hidden = true; toggle.hidden = true; return; }
    for (const row of keyboard.rows) {
      const line = document.createElement("div");
      line.className = "reply-row";
      for (const key of row) {
        const button = document.createElement("button");
        button.type = "button";
        button.textContent = key.text;
        button.setAttribute("data-testid", key.request_contact ? "share-contact" : "reply-button");
        button.addEventListener("click", () => App.tap(key.text));
        line.appendChild(button);
      }
      area.appendChild(line);
    }
    toggle.hidden = false;
    area.hidden = keyboard.hidden && !App.keyboardOpen;
    toggle.setAttribute("aria-expanded", String(!area.hidden));
  },

  _drawCommands(commands) {
    const menu = document.getElementById("command-menu");
    // Redrawn only when the list changed, so that an open menu keeps the key focus.
    const drawn = JSON.stringify(commands);
    if (menu.dataset.drawn === drawn) return;
    menu.dataset.drawn = drawn;
    menu.replaceChildren();
    for (const command of commands) {
      const button = document.createElement("button");
      button.type = "button";
      button.setAttribute("data-testid", "menu-command");
      const name = document.createElement("span");
      name.className = "command-name";
      name.textContent = `/${command.command}`;
      const description = document.createElement("span");
      description.textContent = command.description;
      button.append(name, description);
      button.addEventListener("click", () => {
        App._toggleMenu(false);
        document.getElementById("text-input").focus();
        App.sendText(`/${command.command}`);
      });
      menu.appendChild(button);
    }
    document.getElementById("menu-button").hidden = commands.length === 0;
  },

  // -- acting as the persona --------------------------------------------------------------

  async sendText(text) {
    if (App.active === null || !text.trim()) return;
    try {
      await Api.post(`/api/chats/${App.active}/messages`, { text });
      App.keyboardOpen = false;
      await App.loadChat();
    } catch (error) {
      Notice.toast(error.message);
    }
  },

  async press(view, button, element) {
    element.classList.add("pressing");
    try {
      const result = await Api.post(`/api/chats/${App.active}/press`, { message_id: view.message_id, data: button.data });
      const answer = result.answer;
      if (answer && answer.text) {
        if (answer.show_alert) await Notice.ask(answer.text, { cancellable: false });
        else Notice.toast(answer.text);
      }
    } catch (error) {
      Notice.toast(error.message);
    } finally {
      element.classList.remove("pressing");
    }
    await App.loadChat();
  },

  async tap(text) {
    try {
      await Api.post(`/api/chats/${App.active}/tap`, { text });
      App.keyboardOpen = false;
      await App.loadChat();
    } catch (error) {
      Notice.toast(error.message);
    }
  },

  async upload(file) {
    const form = new FormData();
    form.append("file", file, file.name);
    const input = document.getElementById("text-input");
    if (input.value.trim()) form.append("caption", input.value.trim());
    try {
      await Api.post(`/api/chats/${App.active}/files`, form);
      input.value = "";
      await App.loadChat();
    } catch (error) {
      Notice.toast(error.message);
    }
  },

  _bindComposer() {
    const form = document.getElementById("composer");
    const input = document.getElementById("text-input");
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const text = input.value;
      input.value = "";
      App._fitInput();
      App.sendText(text);
    });
    // The box grows with its text, up to its CSS max-height, as Telegram's does.
    input.addEventListener("input", App._fitInput);
    document.getElementById("attach").addEventListener("click", () => {
      document.getElementById("file-input").click();
    });
    document.getElementById("back").addEventListener("click", () => {
      const left = App.active;
      App.select(null);
      const item = document.querySelector(`[data-testid=persona][data-user-id="${left}"] button`);
      if (item) item.focus();
    });
    document.getElementById("panel-toggle").addEventListener("click", () => {
      App._togglePanel(!document.body.classList.contains("panel-open"));
    });
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
    const fileInput = document.getElementById("file-input");
    fileInput.addEventListener("change", () => {
      const file = fileInput.files && fileInput.files[0];
      if (file) App.upload(file);
      fileInput.value = "";
    });
    document.getElementById("menu-button").addEventListener("click", () => {
      const menu = document.getElementById("command-menu");
      App._toggleMenu(menu.hidden);
      if (!menu.hidden) {
        const first = menu.querySelector("button");
        if (first) first.focus();
      }
    });
    document.getElementById("keyboard-toggle").addEventListener("click", (event) => {
      const area = document.getElementById("reply-keyboard");
      area.hidden = !area.hidden;
      App.keyboardOpen = !area.hidden;
      event.currentTarget.setAttribute("aria-expanded", String(!area.hidden));
    });
  },

  _fitInput() {
    const input = document.getElementById("text-input");
    input.style.height = "auto";
    input.style.height = `${input.scrollHeight + 2}px`;
  },

  _languageButton() {
    const button = document.getElementById("ui-language");
    const label = () => { button.textContent = I18n.lang === "zh" ? "English" : "中文"; };
    label();
    button.addEventListener("click", () => {
      I18n.toggle();
      I18n.apply(document);
      label();
      App.drawPersonas();
      App._drawChatHeader();
      App._drawDays();
      Clock.draw();
      Player.draw();
    });
  },
};

document.addEventListener("DOMContentLoaded", App.init);
