"""check-config's whole verdict: the file, its values and its templates, all at once.

``ghostwatch.config.loader`` Rule 1 (every problem at once, ``FILE: key.path: message``)
extended to the templates. A template problem is reported together with every other
problem, at the key path that chose the template:

- ``clients[2].rules.invoice_ladder[0].template``: that client's own ladder names it;
- ``rules.ladder[1].template``: the ``[rules]`` ladder names it;
- ``templates.dir``: a built-in ladder's template, overridden in your folder (or
  ``work_resumed``, which no ladder names); ``rules.ladder`` etc. without a folder.

While other problems make the file invalid, the templates are still checked with what
can be read: every template the file names (and, with ``templates.dir``, those of the
built-in ladders) in the languages of its clients, looked up, compiled and rendered
with the sample context (``TemplateSet.check``: a missing file, a syntax error, an
undefined variable). Once the rest is valid, the full trial (``ghostwatch.app.trial``:
every shape each ladder can give) runs instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from ghostwatch.app.trial import Use, template_problems
from ghostwatch.config.loader import (
    DEFAULT_RULES,
    ClientConfig,
    Config,
    parse_config,
    read_config_data,
)
from ghostwatch.config.types import format_loc
from ghostwatch.core.domain import LadderKind
from ghostwatch.core.templates import TemplateSet
from ghostwatch.errors import ConfigError

__all__ = ["check_config", "raw_template_problems", "use_location"]

Loc = tuple[str | int, ...]
LADDER_KEYS = {
    LadderKind.SILENCE: "ladder",
    LadderKind.INVOICE: "invoice_ladder",
    LadderKind.DEADLINE: "deadline_ladder",
}
_TOKEN = re.compile(r"[A-Za-z0-9_-]+")


def check_config(path: Path) -> Config:
    """Load the config at ``path`` and trial-render its templates; return it.

    Raise ``ConfigError`` with every problem, values and templates together, each as
    ``FILE: key.path: message`` (module docstring).
    """
    data = read_config_data(path)
    try:
        config = parse_config(data, path)
    except ConfigError as exc:
        found = [f"{path}: {format_loc(loc)}: {m}" for loc, m in raw_template_problems(data, path)]
        raise ConfigError(list(dict.fromkeys([*exc.problems, *found]))) from None
    templates = TemplateSet(config.templates.dir or None)
    problems = [
        f"{path}: {format_loc(use_location(config, use, client))}: {message}"
        for use, client, message in template_problems(config, templates)
    ]
    if problems:
        raise ConfigError(list(dict.fromkeys(problems)))
    return config


def use_location(config: Config, use: Use, client: ClientConfig) -> Loc:
    """The key path that chose the template of ``use`` for ``client`` (docstring)."""
    _name, _language, kind, step = use
    key = LADDER_KEYS[kind]
    index = next((i for i, c in enumerate(config.clients) if c is client), None)
    own = getattr(client.rules, key) if index is not None else None
    if index is not None and own is not None and step <= len(own):
        return ("clients", index, "rules", key, step - 1, "template")
    shared = getattr(config.rules, key)
    if own is None and shared is not None and step <= len(shared):
        return ("rules", key, step - 1, "template")
    if config.templates.dir:
        return ("templates", "dir")
    return ("rules", key if step <= len(getattr(DEFAULT_RULES, key) or ()) else "work_resumed")


def raw_template_problems(data: Mapping[str, Any], path: Path) -> list[tuple[Loc, str]]:
    """Given the raw TOML mapping of a file that may not validate, check every template
    it names (module docstring); return ``(key path, problem)`` pairs. Unreadable parts
    are skipped: their own problems are reported by validation."""
    directory = _template_dir(data, path.parent)
    templates = TemplateSet(directory)
    checked: set[tuple[str, str]] = set()
    seen: set[tuple[str, str]] = set()  # (template, error): one file read for two languages
    found: list[tuple[Loc, str]] = []
    for loc, name, language in _named(data, with_builtins=directory is not None):
        if (name, language) in checked:
            continue  # reported where it is named first
        checked.add((name, language))
        for problem in templates.check([(name, language)]):
            error = problem.partition("): ")[2]
            if (name, error) not in seen:
                seen.add((name, error))
                found.append((loc, problem))
    return found


def _named(data: Mapping[str, Any], *, with_builtins: bool) -> Iterator[tuple[Loc, str, str]]:
    """``(key path, template, language)`` for every template the raw file names: the
    ``[rules]`` ladders in every language in use, a client's own in its language, and
    (``with_builtins``: a template folder may override them) the built-in ladders'."""
    clients = _tables(data, "clients")
    every = sorted({"en", *(_language(client) for _i, client in clients)})
    for key in LADDER_KEYS.values():
        for i, name in _steps(data.get("rules"), key):
            yield from ((("rules", key, i, "template"), name, lang) for lang in every)
    for c, client in clients:
        for key in LADDER_KEYS.values():
            for i, name in _steps(client.get("rules"), key):
                yield ("clients", c, "rules", key, i, "template"), name, _language(client)
    if with_builtins:
        names = [s.template for k in LADDER_KEYS.values() for s in getattr(DEFAULT_RULES, k)]
        for name in [*names, "work_resumed"]:
            yield from ((("templates", "dir"), name, lang) for lang in every)


def _template_dir(data: Mapping[str, Any], base: Path) -> Path | None:
    section = data.get("templates")
    value = section.get("dir") if isinstance(section, Mapping) else None
    if not isinstance(value, str) or not value.strip():
        return None
    directory = Path(value.strip()).expanduser()
    return directory if directory.is_absolute() else base / directory


def _tables(data: Mapping[str, Any], key: str) -> list[tuple[int, Mapping[str, Any]]]:
    items = data.get(key)
    if not isinstance(items, list):
        return []
    return [(i, item) for i, item in enumerate(items) if isinstance(item, Mapping)]


def _language(client: Mapping[str, Any]) -> str:
    value = client.get("language", "en")
    return value if isinstance(value, str) and _TOKEN.fullmatch(value) else "en"


def _steps(rules: object, key: str) -> Iterator[tuple[int, str]]:
    """``(index, template name)`` of a ladder in raw data; names that are not plain
    tokens are left to validation (which says so at that key path)."""
    ladder = rules.get(key) if isinstance(rules, Mapping) else None
    for i, step in enumerate(ladder if isinstance(ladder, list) else []):
        name = step.get("template") if isinstance(step, Mapping) else None
        if isinstance(name, str) and _TOKEN.fullmatch(name):
            yield i, name
