/* Calls to the sandbox's JSON API, with errors shown the way the page shows them. */
"use strict";

const Api = {
  /** JSON from `path`; throws an Error whose message is the server's one-line description. */
  async call(method, path, body) {
    const options = { method, headers: {} };
    if (body instanceof FormData) {
      options.body = body;
    } else if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(path, options);
    } catch (_) {
      // The server is away (stopped, restarting): say so in the page's language, not the
      // browser's "Failed to fetch"; the live stream reconnects by itself.
      App.setOnline(false);
      const error = new Error(I18n.t("offlineAction"));
      error.status = 0;
      throw error;
    }
    let payload = null;
    try { payload = await response.json(); } catch (_) { payload = null; }
    if (!response.ok) {
      const error = new Error((payload && payload.description) || `${response.status} ${response.statusText}`);
      error.status = response.status;
      throw error;
    }
    return payload;
  },
  get(path) { return Api.call("GET", path); },
  post(path, body) { return Api.call("POST", path, body === undefined ? {} : body); },
};

const Notice = {
  _timer: null,

  toast(text) {
    const toast = document.getElementById("toast");
    toast.textContent = text;
    toast.hidden = false;
    clearTimeout(Notice._timer);
    Notice._timer = setTimeout(() => { toast.hidden = true; }, 3500);
  },

  /**
   * An in-page dialog (window.alert/confirm would block the page and its tests). It takes
   * the focus, keeps Tab inside, answers Escape as Cancel, and gives the focus back to
   * whatever had it.
   */
  ask(text, { cancellable = true, okText = "OK", danger = false } = {}) {
    const modal = document.getElementById("modal");
    document.getElementById("modal-text").textContent = text;
    const cancel = document.getElementById("modal-cancel");
    cancel.hidden = !cancellable;
    const ok = document.getElementById("modal-ok");
    ok.textContent = okText;
    // What cannot be undone is drawn red, as Telegram draws "Delete".
    ok.classList.toggle("danger", danger);
    const before = document.activeElement;
    modal.hidden = false;
    // A destructive answer is never the one a stray Enter gives.
    (cancellable && danger ? cancel : ok).focus();
    return new Promise((resolve) => {
      const finish = (answer) => {
        modal.hidden = true;
        ok.onclick = null;
        cancel.onclick = null;
        modal.onkeydown = null;
        if (before && before.isConnected && typeof before.focus === "function") before.focus();
        resolve(answer);
      };
      ok.onclick = () => finish(true);
      cancel.onclick = () => finish(false);
      modal.onkeydown = (event) => {
        if (event.key === "Escape") {
          event.preventDefault();
          event.stopPropagation();
          finish(!cancellable);
        } else if (event.key === "Tab") {
          const buttons = [cancel, ok].filter((b) => !b.hidden);
          const index = buttons.indexOf(document.activeElement);
          const next = (index + (event.shiftKey ? -1 : 1) + buttons.length) % buttons.length;
          event.preventDefault();
          buttons[next].focus();
        }
      };
    });
  },
};

/** A photo full-size over the page, as Telegram opens one; Escape or a click closes it. */
const Viewer = {
  _opener: null,

  open(source, opener) {
    const viewer = document.getElementById("viewer");
    document.getElementById("viewer-image").src = source;
    document.getElementById("viewer-download").href = source;
    Viewer._opener = opener || document.activeElement;
    viewer.hidden = false;
    document.getElementById("viewer-close").focus();
  },

  close() {
    document.getElementById("viewer").hidden = true;
    if (Viewer._opener && Viewer._opener.isConnected) Viewer._opener.focus();
  },

  bind() {
    const viewer = document.getElementById("viewer");
    viewer.addEventListener("click", (event) => {
      if (event.target === viewer || event.target.id === "viewer-image") Viewer.close();
    });
    document.getElementById("viewer-close").addEventListener("click", Viewer.close);
    viewer.addEventListener("keydown", (event) => {
      if (event.key === "Escape") { event.stopPropagation(); Viewer.close(); }
      if (event.key === "Tab") {
        // Two controls: keep the focus inside while the photo is open.
        const controls = [document.getElementById("viewer-download"), document.getElementById("viewer-close")];
        const index = controls.indexOf(document.activeElement);
        event.preventDefault();
        controls[(index + 1) % controls.length].focus();
      }
    });
  },
};
