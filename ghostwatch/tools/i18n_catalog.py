"""Keeping the catalogues complete: what must be translated, and what is not yet.

``python -m ghostwatch.tools.i18n_catalog check`` lists every problem of every catalogue
(exit 1 if any); ``python -m ghostwatch.tools.i18n_catalog update [LANG ...]`` brings each
catalogue (a new one too) up to date with the code: new messages are added untranslated,
gone ones removed, translations kept. Adding a language is ``update xx`` and filling in
``ghostwatch/core/locale/xx/LC_MESSAGES/ghostwatch.po``.

The messages are (Rule 1 of ``summary_words``): those Babel's extractor finds in
``SOURCES`` (``_``, ``ngettext``, ``pgettext`` calls), one per code of
``reasons.ENGLISH`` (context = the code) and one per ``reasons.TEMPLATE_LABELS`` label
(context ``template``) and one per ``reasons.LOGIN_HINTS`` advice (context
``login_hint``). A development tool: it reads the package's own source files.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po, write_po

from ghostwatch.core.i18n import DOMAIN, SOURCE, languages, po_path
from ghostwatch.core.reasons import ENGLISH, LOGIN_HINTS, TEMPLATE_LABELS

__all__ = ["SOURCES", "problems", "template", "update"]

PACKAGE = Path(__file__).parents[1]
SOURCES = (
    "core/i18n.py",
    "core/summary/rows.py",
    "core/summary/words.py",
    "core/command_words.py",
)
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def template() -> Catalog:
    """Every message the summary can show, untranslated (a POT, in Babel's terms)."""
    pot = Catalog(domain=DOMAIN, project="ghostwatch")
    for name in SOURCES:
        for line, message, comments, context in extract_from_file("python", PACKAGE / name):
            pot.add(message, locations=[(name, line)], auto_comments=comments, context=context)
    for code, english in ENGLISH.items():
        pot.add(english, locations=[("core/reasons.py", 0)], context=code)
    for english in TEMPLATE_LABELS.values():
        pot.add(english, locations=[("core/reasons.py", 0)], context="template")
    for english in LOGIN_HINTS.values():
        pot.add(english, locations=[("adapters/net.py", 0)], context="login_hint")
    return pot


def _read(language: str, path: Path | None = None) -> Catalog:
    with (path or po_path(language)).open("rb") as source:
        return read_po(source, locale=language, domain=DOMAIN)


def _ids(message: Message) -> tuple[str, ...]:
    return (message.id,) if isinstance(message.id, str) else tuple(message.id)


def _strings(message: Message) -> tuple[str, ...]:
    found = message.string
    if found is None or isinstance(found, str):
        return (found or "",)
    return tuple(found)


def _message_problems(message: Message, catalogue: Catalog) -> list[str]:
    what = f"{message.context or ''}|{_ids(message)[0]!r}"
    strings = _strings(message)
    if message.fuzzy:
        return [f"{what}: marked fuzzy (a guess, not used)"]
    if not all(strings):
        return [f"{what}: not translated"]
    if not isinstance(message.id, str) and len(strings) != catalogue.num_plurals:
        return [f"{what}: {len(strings)} plural forms, the language has {catalogue.num_plurals}"]
    wanted = set(_PLACEHOLDER.findall(" ".join(_ids(message))))
    out = []
    for string in strings:
        found = set(_PLACEHOLDER.findall(string))
        # A plural form may leave the count out ("a day"), never add or lose a name.
        if found - wanted or (wanted - {"n"}) - found:
            out.append(f"{what}: placeholders {sorted(found)} instead of {sorted(wanted)}")
    return out


def problems(language: str, path: Path | None = None) -> list[str]:
    """Every way the catalogue of ``language`` (the shipped one, or the file ``path``)
    falls short of ``template()``: missing, untranslated, fuzzy or obsolete messages,
    wrong placeholders or plural forms."""
    path = path or po_path(language)
    if not path.is_file():
        return [f"{language}: no catalogue at {path}"]
    catalogue, pot = _read(language, path), template()
    out = []
    for wanted in pot:
        if not wanted.id:
            continue
        found = catalogue.get(wanted.id, wanted.context)
        if found is None:
            out.append(f"{wanted.context or ''}|{_ids(wanted)[0]!r}: missing")
        else:
            out += _message_problems(found, catalogue)
    for message in catalogue:
        if message.id and pot.get(message.id, message.context) is None:
            out.append(f"{message.context or ''}|{_ids(message)[0]!r}: obsolete (not in the code)")
    return [f"{language}: {p}" for p in out]


def update(language: str) -> Path:
    """Bring the catalogue of ``language`` up to date with ``template()``; return its path."""
    path = po_path(language)
    if path.is_file():
        catalogue = _read(language)
    else:
        catalogue = Catalog(locale=language, domain=DOMAIN, project="ghostwatch")
    catalogue.update(template(), no_fuzzy_matching=True)
    catalogue.obsolete.clear()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as out:
        # No line numbers: a catalogue changes only when its messages do.
        write_po(out, catalogue, width=100, sort_output=False, include_lineno=False)
    return path


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    command, names = (args[0], args[1:]) if args else ("check", [])
    targets = names or [lang for lang in languages() if lang != SOURCE]
    if command == "update":
        for language in targets:
            print(f"updated {update(language)}")
        return 0
    if command == "check":
        found = [p for language in targets for p in problems(language)]
        print("\n".join(found) if found else f"complete: {', '.join(targets)}")
        return 1 if found else 0
    print(
        "usage: python -m ghostwatch.tools.i18n_catalog (check | update) [LANG ...]",
        file=sys.stderr,
    )
    return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
