/* One chat message as Telegram draws it: bubble, formatted text, photo or file, buttons. */
"use strict";

const Messages = {
  /**
   * An element for the message `view` (from /api/chats/{id}); `actions` has
   * press(message, button, element), command(text) and time(unixSeconds).
   */
  render(view, actions) {
    const wrapper = document.createElement("div");
    wrapper.className = `message ${view.from_bot ? "bot" : "own"}`;
    wrapper.dataset.messageId = String(view.message_id);
    wrapper.dataset.date = String(view.date);
    wrapper.setAttribute("data-testid", view.from_bot ? "bot-message" : "own-message");

    const bubble = document.createElement("div");
    bubble.className = "bubble";
    if (view.photo) bubble.appendChild(Messages._photo(view.photo, actions));
    if (view.document) bubble.appendChild(Messages._file(view.document));
    if (view.contact) bubble.appendChild(Messages._contact(view.contact));
    const body = view.text !== null && view.text !== undefined ? view.text : view.caption;
    const entities = view.text !== null && view.text !== undefined ? view.entities : view.caption_entities;
    if (body) {
      const text = document.createElement("div");
      text.className = "text";
      text.appendChild(Entities.render(body, entities, actions.command));
      bubble.appendChild(text);
    } else if (view.other) {
      const text = document.createElement("div");
      text.className = "text";
      text.dataset.i18n = "unsupported";
      text.textContent = I18n.t("unsupported");
      bubble.appendChild(text);
    }
    const meta = document.createElement("div");
    meta.className = "meta";
    if (view.edited) {
      // Marked for I18n.apply, so that switching the page's language changes it too.
      const edited = document.createElement("span");
      edited.dataset.i18n = "edited";
      edited.setAttribute("data-testid", "edited");
      edited.textContent = I18n.t("edited");
      meta.append(edited, " ");
    }
    meta.append(actions.time(view.date));
    bubble.appendChild(meta);
    wrapper.appendChild(bubble);

    if (view.buttons && view.buttons.length) {
      wrapper.appendChild(Messages._inlineKeyboard(view, actions));
    }
    return wrapper;
  },

  _photo(photo, actions) {
    const source = `/api/files/${encodeURIComponent(photo.file_id)}`;
    const button = document.createElement("button");
    button.type = "button";
    button.className = "photo-button";
    button.setAttribute("data-testid", "open-photo");
    button.dataset.i18nLabel = "openPhoto";
    button.setAttribute("aria-label", I18n.t("openPhoto"));
    button.addEventListener("click", () => actions.view(source, button));
    const image = document.createElement("img");
    image.className = "photo";
    image.alt = "";
    image.loading = "lazy";
    image.src = source;
    image.setAttribute("data-testid", "photo");
    button.appendChild(image);
    return button;
  },

  _file(document_) {
    const link = document.createElement("a");
    link.className = "file";
    link.href = `/api/files/${encodeURIComponent(document_.file_id)}`;
    link.download = document_.file_name;
    link.setAttribute("data-testid", "document");
    const icon = document.createElement("span");
    icon.className = "file-icon";
    icon.textContent = "⬇";
    const names = document.createElement("span");
    const name = document.createElement("div");
    name.className = "file-name";
    name.textContent = document_.file_name;
    const size = document.createElement("div");
    size.className = "file-size";
    size.textContent = Messages._size(document_.file_size);
    names.append(name, size);
    link.append(icon, names);
    return link;
  },

  _contact(contact) {
    const line = document.createElement("div");
    line.className = "text";
    const shared = document.createElement("span");
    shared.dataset.i18n = "shared";
    shared.textContent = I18n.t("shared");
    line.append(`📱 ${contact.phone_number} · `, shared);
    return line;
  },

  _inlineKeyboard(view, actions) {
    const keyboard = document.createElement("div");
    keyboard.className = "inline-keyboard";
    for (const row of view.buttons) {
      const line = document.createElement("div");
      line.className = "inline-row";
      for (const button of row) {
        let element;
        if (button.data) {
          element = document.createElement("button");
          element.type = "button";
          element.addEventListener("click", () => actions.press(view, button, element));
        } else if (button.url && SAFE_LINK.test(button.url)) {
          element = document.createElement("a");
          element.href = button.url;
          element.target = "_blank";
          element.rel = "noopener noreferrer";
        } else {
          element = document.createElement("button");
          element.type = "button";
          element.disabled = true;
        }
        element.textContent = button.text;
        element.setAttribute("data-testid", "inline-button");
        element.tabIndex = -1; // one Tab stop for all of them: App._rove picks it
        line.appendChild(element);
      }
      keyboard.appendChild(line);
    }
    return keyboard;
  },

  _size(bytes) {
    if (!Number.isFinite(bytes)) return "";
    if (bytes < 1024) return `${bytes} B`;
    if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
    return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  },
};
