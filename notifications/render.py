"""Every word the bot says, rendered from Jinja2 templates in zh_CN and en.

Messages live in ``templates/<locale>/<name>.html`` and are sent in Telegram's HTML parse
mode, so autoescaping is always on: whatever a customer typed can never break a message.
Short labels (button texts, stage and field names, choices) live in one dictionary per
locale, ``templates/<locale>/_labels.html``, because a file per button would hide them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from importlib.resources import files
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, meta, nodes, select_autoescape

from notifications import filters

LOCALES: tuple[str, ...] = ("zh_CN", "en")
LABELS_TEMPLATE = "_labels.html"
# Optional blocks leave empty lines behind; a message never needs more than one in a row.
_BLANK_RUNS = re.compile(r"\n(?:[ \t]*\n){2,}")
# What every template gets from :meth:`Texts.render` itself, whatever the caller passes.
_ALWAYS_GIVEN = frozenset({"L", "locale"})


class MissingTemplateParameter(TypeError):
    """A template names a parameter its caller did not pass.

    Raised where the message is rendered, that is where it is drafted (a reply, or an outbox
    message at enqueue time), so the call site that forgot it is in the traceback, and also
    when the parameter sits in a branch the current values happen not to reach.
    """


class Texts:
    """Renders named messages and labels in a locale, falling back to the default one."""

    def __init__(self, default_locale: str = "zh_CN") -> None:
        if default_locale not in LOCALES:
            raise ValueError(f"unknown locale {default_locale!r}")
        self.default_locale = default_locale
        root = str(files("notifications") / "templates")
        self._env = Environment(
            loader=FileSystemLoader(root),
            autoescape=select_autoescape(["html"], default_for_string=True, default=True),
            undefined=StrictUndefined,
            trim_blocks=False,
            lstrip_blocks=True,
            keep_trailing_newline=False,
            # Templates change only with a new release, which restarts the bot: checking
            # each file's time on every render would cost a system call per message.
            auto_reload=False,
            # Every template stays compiled (both locales' whole set fits), so none is read
            # and compiled again in the middle of a conversation.
            cache_size=-1,
        )
        filters.install(self._env)
        self._labels: dict[str, Mapping[str, str]] = {}
        self._required: dict[str, frozenset[str]] = {}

    def locale(self, requested: str | None) -> str:
        return requested if requested in LOCALES else self.default_locale

    def render(self, locale: str | None, name: str, /, **context: Any) -> str:
        """The message ``name`` in ``locale``, stripped of the template's outer blank lines."""
        loc = self.locale(locale)
        path = f"{loc}/{name}.html"
        template = self._env.get_template(path)
        missing = self.parameters(path) - context.keys()
        if missing:
            raise MissingTemplateParameter(
                f"{path} needs {', '.join(sorted(missing))}, which the caller did not pass"
            )
        text = template.render(L=self.labels(loc), locale=loc, **context)
        return _BLANK_RUNS.sub("\n\n", text).strip()

    def parameters(self, path: str) -> frozenset[str]:
        """The names template ``path`` reads from its caller (beyond labels and locale)."""
        cached = self._required.get(path)
        if cached is None:
            assert self._env.loader is not None
            source, _, _ = self._env.loader.get_source(self._env, path)
            tree = self._env.parse(source)
            # Jinja's own analysis takes a name ``{% set %}`` inside an ``{% if %}`` for one
            # the caller must pass; a name the template assigns anywhere is its own.
            assigned = {n.name for n in tree.find_all(nodes.Name) if n.ctx in ("store", "param")}
            # ``name is defined`` is how a template says a parameter is optional.
            optional = {
                test.node.name
                for test in tree.find_all(nodes.Test)
                if test.name == "defined" and isinstance(test.node, nodes.Name)
            }
            undeclared = meta.find_undeclared_variables(tree) - assigned - optional
            cached = frozenset(undeclared - _ALWAYS_GIVEN - self._env.globals.keys())
            self._required[path] = cached
        return cached

    def label(self, locale: str | None, key: str, /, **params: Any) -> str:
        """A short label; ``{name}`` placeholders are filled from ``params``."""
        text = self.labels(self.locale(locale))[key]
        return text.format(**params) if params else text

    def labels(self, locale: str) -> Mapping[str, str]:
        cached = self._labels.get(locale)
        if cached is None:
            module = self._env.get_template(f"{locale}/{LABELS_TEMPLATE}").module
            cached = getattr(module, "labels", None)
            if not isinstance(cached, dict):
                raise RuntimeError(f"{locale}/{LABELS_TEMPLATE} must define a 'labels' dict")
            self._labels[locale] = cached
        return cached

    def warm(self) -> int:
        """Compile every template and label table now, and read which parameters each
        needs (both are otherwise done on a template's first use); returns how many. For
        measurements of a process that has been running."""
        count = 0
        for loc in LOCALES:
            self.labels(loc)
            for name in self.template_names(loc):
                self._env.get_template(f"{loc}/{name}.html")
                self.parameters(f"{loc}/{name}.html")
                count += 1
        return count

    def template_names(self, locale: str) -> set[str]:
        prefix = f"{locale}/"
        return {
            name[len(prefix) : -len(".html")]
            for name in self._env.list_templates(extensions=["html"])
            if name.startswith(prefix) and not name.endswith(LABELS_TEMPLATE)
        }
