/* Telegram formatting, drawn from message entities with DOM calls only.

The server sends a message's plain text and its entities (offsets and lengths in UTF-16
code units, which is what JavaScript strings index by). Each entity becomes an element
whose children are built the same way; text goes in through text nodes, never as markup
strings, so nothing in a message can become an element. Only the safe subset Telegram has
is drawn: bold, italic, underline, strikethrough, code, pre, links, blockquotes, spoilers.
Commands and addresses are links only where the server says so (Telegram finds them in the
whole plain text; "<b>2</b>/5" has no command in it, however it is split into pieces here).
*/
"use strict";

const SAFE_LINK = /^(https?:|mailto:)/i;

const Entities = {
  /** A fragment with `text` formatted by `entities`; `onCommand(cmd)` for /commands. */
  render(text, entities, onCommand) {
    const fragment = document.createDocumentFragment();
    const usable = (entities || [])
      .filter((e) => Number.isInteger(e.offset) && Number.isInteger(e.length) && e.length > 0
        && e.offset >= 0 && e.offset + e.length <= text.length)
      .sort((a, b) => a.offset - b.offset || b.length - a.length);
    Entities._build(fragment, text, 0, text.length, usable, onCommand);
    return fragment;
  },

  _build(parent, text, start, end, entities, onCommand) {
    let position = start;
    let index = 0;
    while (index < entities.length) {
      const entity = entities[index];
      const entityEnd = entity.offset + entity.length;
      let next = index + 1;
      while (next < entities.length && entities[next].offset < entityEnd) next += 1;
      // Entities parsed from HTML nest; one that crosses a border is dropped, not guessed at.
      const inner = entities.slice(index + 1, next).filter((e) => e.offset + e.length <= entityEnd);
      if (entity.offset < position) { index = next; continue; }
      if (entity.offset > position) parent.appendChild(document.createTextNode(text.slice(position, entity.offset)));
      const element = Entities._element(entity, text.slice(entity.offset, entityEnd), onCommand);
      Entities._build(element, text, entity.offset, entityEnd, inner, onCommand);
      parent.appendChild(element);
      position = entityEnd;
      index = next;
    }
    if (position < end) parent.appendChild(document.createTextNode(text.slice(position, end)));
  },

  _element(entity, covered, onCommand) {
    const simple = { bold: "b", italic: "i", underline: "u", strikethrough: "s", code: "code", pre: "pre" };
    if (simple[entity.type]) return document.createElement(simple[entity.type]);
    switch (entity.type) {
      case "text_link":
      case "url": {
        const href = entity.type === "url" ? covered : entity.url;
        if (typeof href === "string" && SAFE_LINK.test(href)) {
          const link = document.createElement("a");
          link.href = href;
          link.target = "_blank";
          link.rel = "noopener noreferrer";
          return link;
        }
        return document.createElement("span");
      }
      case "blockquote":
      case "expandable_blockquote":
        return document.createElement("blockquote");
      case "spoiler": {
        const spoiler = document.createElement("span");
        spoiler.className = "spoiler";
        spoiler.addEventListener("click", () => spoiler.classList.add("revealed"));
        return spoiler;
      }
      case "bot_command": {
        const command = document.createElement("span");
        command.className = "command";
        if (onCommand) command.addEventListener("click", () => onCommand(covered.split("@")[0]));
        return command;
      }
      default:
        return document.createElement("span");
    }
  },
};
