/* The persona list (staff, then customers, with unread counts) and its controls. */
"use strict";

const AVATAR_COLOURS = ["#e17076", "#7bc862", "#65aadd", "#a695e7", "#ee7aae", "#6ec9cb", "#faa774"];

const Personas = {
  /** The staff and customer lists; `onSelect(userId)` when one is clicked. */
  draw(personas, active, onSelect) {
    const lists = { staff: document.getElementById("staff-list"), customers: document.getElementById("customer-list") };
    lists.staff.replaceChildren();
    lists.customers.replaceChildren();
    for (const persona of personas) {
      const item = document.createElement("li");
      item.className = `persona${persona.user_id === active ? " active" : ""}`;
      item.dataset.userId = String(persona.user_id);
      item.setAttribute("data-testid", "persona");
      // A button inside the item: reachable with Tab, pressed with Enter or Space.
      const button = document.createElement("button");
      button.type = "button";
      button.className = "persona-button";
      button.setAttribute("data-testid", "persona-button");
      if (persona.user_id === active) button.setAttribute("aria-current", "true");
      button.addEventListener("click", () => onSelect(persona.user_id));
      const avatar = document.createElement("span");
      avatar.className = "avatar";
      avatar.setAttribute("aria-hidden", "true");
      avatar.style.background = AVATAR_COLOURS[persona.user_id % AVATAR_COLOURS.length];
      avatar.textContent = Array.from(persona.name)[0] || "?";
      const body = document.createElement("div");
      body.className = "persona-body";
      const line = document.createElement("div");
      line.className = "persona-line";
      const name = document.createElement("span");
      name.className = "persona-name";
      name.textContent = persona.name;
      const role = document.createElement("span");
      role.className = "persona-role";
      role.textContent = I18n.t(`role_${persona.role}`);
      line.append(name, role);
      if (persona.date) {
        const when = document.createElement("span");
        when.className = "persona-time";
        when.setAttribute("data-testid", "persona-time");
        when.textContent = Clock.whenOf(persona.date);
        line.appendChild(when);
      }
      const sub = document.createElement("div");
      sub.className = persona.note ? "persona-note" : "persona-sub";
      sub.textContent = persona.note || persona.preview || "";
      body.append(line, sub);
      button.append(avatar, body);
      const unread = persona.user_id === active ? 0 : persona.unread;
      if (unread > 0) {
        const badge = document.createElement("span");
        badge.className = "unread";
        badge.setAttribute("data-testid", "unread");
        badge.textContent = String(unread);
        badge.setAttribute("aria-label", `${unread} ${I18n.t("unread")}`);
        button.appendChild(badge);
      }
      item.appendChild(button);
      (persona.role === "customer" ? lists.customers : lists.staff).appendChild(item);
    }
  },

  /** Adding a customer and resetting the sandbox. */
  bind() {
    document.getElementById("add-customer").addEventListener("submit", async (event) => {
      event.preventDefault();
      const form = event.target;
      try {
        const persona = await Api.post("/api/personas", { name: form.name.value, language: form.language.value });
        form.name.value = "";
        App.personas = App.personas.concat([{ ...persona, unread: 0, seq: 0, preview: "" }]);
        App.select(persona.user_id);
      } catch (error) {
        Notice.toast(error.message);
      }
    });
    document.getElementById("reset").addEventListener("click", async () => {
      if (!(await Notice.ask(I18n.t("resetConfirm"), { okText: I18n.t("resetOk"), danger: true }))) return;
      const button = document.getElementById("reset");
      button.disabled = true;
      try {
        await Api.post("/api/reset");
        App.select(null);
      } catch (error) {
        Notice.toast(error.message);
      } finally {
        button.disabled = false;
      }
    });
  },
};
