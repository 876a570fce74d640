/* Telegram formatting, drawn from message entities with DOM calls only.

The server sends a message's plain text and its entities (offsets and lengths in UTF-16
code units, which is what JavaScript strings index by). Each entity becomes an element
whose children are built the same way; text goes in through text nodes, never as markup
strings, so nothing in a message can become an element. Only the safe subset Telegram has
is drawn: bold, italic, underline, strikethrough, code, pre, links, blockquotes, spoilers.
*/
"use strict";

const SAFE_LINK = /^(https?:|mailto:)/i;
// What Telegram finds in plain text by itself: /commands after a space, and web addresses.
const AUTO_ENTITIES = /(^|[\s(（"“])(\/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?)(?![\w@/])|(https?:\/\/[^\s<>"“”)）]+)/g;
// Inside these nothing more is detected: code stays code, a link stays one link.
const NO_AUTO = new Set(["CODE", "PRE", "A"]);

const Entities = {
  /** A fragment with `text` formatted by `entities`; `onCommand(cmd)` for /commands. */
  render(text, entities, onCommand) {
    const fragment = document.createDocumentFragment();
    const usable = (entities || [])
      .filter((e) => Number.isInteger(e.offset) && Number.isInteger(e.length) && e.length > 0
        && e.offset >= 0 && e.offset + e.length <= text.length)
      .sort((a, b) => a.offset - b.offset || b.length - a.length);
    Entities._build(fragment, text, 0, text.length, usable, onCommand, false);
    return fragment;
  },

  _build(parent, text, start, end, entities, onCommand, raw) {
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
      if (entity.offset > position) Entities._text(parent, text.slice(position, entity.offset), onCommand, raw);
      const element = Entities._element(entity, text.slice(entity.offset, entityEnd), onCommand);
      const rawInside = raw || NO_AUTO.has(element.tagName) || element.className === "command";
      Entities._build(element, text, entity.offset, entityEnd, inner, onCommand, rawInside);
      parent.appendChild(element);
      position = entityEnd;
      index = next;
    }
    if (position < end) Entities._text(parent, text.slice(position, end), onCommand, raw);
  },

  /** Plain text as text nodes, with the commands and addresses Telegram would detect. */
  _text(parent, text, onCommand, raw) {
    if (raw) { parent.appendChild(document.createTextNode(text)); return; }
    let position = 0;
    for (const match of text.matchAll(AUTO_ENTITIES)) {
      const found = match[2] || match[3];
      const start = match.index + (match[2] ? match[1].length : 0);
      if (start > position) parent.appendChild(document.createTextNode(text.slice(position, start)));
      const element = Entities._element({ type: match[2] ? "bot_command" : "url" }, found, onCommand);
      element.textContent = found;
      parent.appendChild(element);
      position = start + found.length;
    }
    if (position < text.length) parent.appendChild(document.createTextNode(text.slice(position)));
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
