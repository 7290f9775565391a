"""The nudge templates: lookup, compilation, trial rendering (docs/templates.md).

Invariants:
- A template named ``X`` is ``X.txt`` (required) plus an optional ``X.html`` from the
  *same* place. Places are tried in this order: ``<dir>/<language>/``, ``<dir>/``, the
  built-ins in ``<language>``, the built-ins in English.
- Names and languages are plain tokens (``[A-Za-z0-9_-]+``): nothing a user writes in
  the config can walk out of the template directory.
- Rendering is sandboxed (Jinja2 ``SandboxedEnvironment``), undefined variables are
  errors (``StrictUndefined``), and only ``.html`` templates are autoescaped.
- Every Jinja2 failure leaves this module as ``TemplateError``, naming the file and,
  where the failure happened while rendering, the template line.
- A render goes through the sandbox of ``core/template_sandbox.py``: bounded in steps
  and in size (its module invariants), so a template cannot exhaust CPU or memory.
  A user template file over ``MAX_TEMPLATE_BYTES`` is refused unread.

Nothing here reads the clock; the only I/O is reading template files.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import jinja2

from ghostwatch.core.human_dates import local_day
from ghostwatch.core.template_sandbox import Sandbox, render_bounded
from ghostwatch.errors import TemplateError

__all__ = [
    "BUILTIN_NAMES",
    "LANGUAGES",
    "MAX_TEMPLATE_BYTES",
    "TemplateSet",
    "sample_context",
]

BUILTIN_NAMES = (
    "check_in",
    "closing_notice",
    "payment_reminder",
    "work_paused",
    "work_resumed",
    "deadline_reminder",
    "promise_reminder",
    "deadline_promise_reminder",
)
LANGUAGES = ("en", "ka", "th")  # languages the built-ins are written in

_TOKEN = re.compile(r"[A-Za-z0-9_-]+")
_USER = "user"
_BUILTIN = "builtin"
MAX_TEMPLATE_BYTES = 64 * 1024  # a user template file; the built-ins are under 2 KB


def _autoescape(name: str | None) -> bool:
    return name is not None and name.endswith(".html")


def _check_token(kind: str, value: str) -> None:
    if not _TOKEN.fullmatch(value):
        raise TemplateError(
            f"invalid template {kind} {value!r}: use only letters, digits, '_' and '-'"
        )


class _SizedLoader(jinja2.FileSystemLoader):
    """The user's templates, each at most MAX_TEMPLATE_BYTES (refused before it is read)."""

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Any]:
        for root in self.searchpath:
            path = Path(root) / template
            try:
                size = path.stat().st_size
            except OSError:
                continue
            if size > MAX_TEMPLATE_BYTES:
                raise TemplateError(
                    f"{path}: {size} bytes; a template may have at most {MAX_TEMPLATE_BYTES}"
                )
            break
        return super().get_source(environment, template)


class TemplateSet:
    """The templates available to one configuration.

    ``directory`` is ``[templates].dir`` (``None`` or ``""`` = built-ins only). Constructing a
    ``TemplateSet`` reads nothing; files are read and compiled on first ``get``.
    """

    def __init__(self, directory: Path | str | None) -> None:
        self.directory = Path(directory).expanduser() if directory else None
        loaders: dict[str, jinja2.BaseLoader] = {
            _BUILTIN: jinja2.PackageLoader("ghostwatch.core", "builtin_templates"),
        }
        if self.directory is not None:
            loaders[_USER] = _SizedLoader(self.directory)
        self._env = Sandbox(
            loader=jinja2.PrefixLoader(loaders),
            autoescape=_autoescape,
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
        )

    def _places(self, language: str) -> list[tuple[str, str]]:
        """Return ``(loader key, human-readable place)`` in lookup order."""
        places: list[tuple[str, str]] = []
        if self.directory is not None:
            places.append((f"{_USER}/{language}/", f"{self.directory / language}/"))
            places.append((f"{_USER}/", f"{self.directory}/"))
        for lang in dict.fromkeys((language, "en")):
            places.append((f"{_BUILTIN}/{lang}/", f"<built-in {lang}>/"))
        return places

    def get(self, name: str, language: str) -> tuple[jinja2.Template, jinja2.Template | None]:
        """Return ``(text, html or None)`` for template ``name`` in ``language``.

        Raise ``TemplateError`` if the name or language is not a plain token, if no
        ``name.txt`` exists in any place (the message lists every path tried), or if a
        file has a syntax error (the message names the file and line).
        """
        _check_token("name", name)
        _check_token("language", language)
        tried: list[str] = []
        for key, shown in self._places(language):
            try:
                text = self._env.get_template(f"{key}{name}.txt")
            except jinja2.TemplateNotFound:
                tried.append(f"{shown}{name}.txt")
                continue
            except jinja2.TemplateSyntaxError as exc:
                raise _syntax_error(exc) from exc
            return text, self._optional(f"{key}{name}.html")
        raise TemplateError(f"template {name!r} not found; tried: {', '.join(tried)}")

    def has_own(self, name: str, language: str) -> bool:
        """True when ``get(name, language)`` finds a file before falling back to the
        built-in English one: yours (``<dir>/<language>/`` or ``<dir>/``) or a built-in
        of ``language``. Reads no template text, compiles nothing."""
        loader = self._env.loader
        for key, _shown in self._places(language):
            if loader is None or (key == f"{_BUILTIN}/en/" and language != "en"):
                return False
            try:
                loader.get_source(self._env, f"{key}{name}.txt")
            except jinja2.TemplateNotFound:
                continue
            return True
        return False

    def _optional(self, full_name: str) -> jinja2.Template | None:
        try:
            return self._env.get_template(full_name)
        except jinja2.TemplateNotFound:
            return None
        except jinja2.TemplateSyntaxError as exc:
            raise _syntax_error(exc) from exc

    def render(
        self, name: str, language: str, context: Mapping[str, Any]
    ) -> tuple[str, str | None]:
        """Return ``(text, html or None)`` rendered with ``context``.

        Raise ``TemplateError`` for anything ``get`` refuses, an undefined variable, a
        sandbox violation or any other error raised while rendering.
        """
        text, html = self.get(name, language)
        return render_bounded(text, context), (
            render_bounded(html, context) if html is not None else None
        )

    def check(self, names: Iterable[tuple[str, str]]) -> list[str]:
        """Given ``(name, language)`` pairs, return every problem found, one line each.

        Each template is looked up, compiled and trial-rendered with ``sample_context``
        (every variable of docs/templates.md set, ``invoice`` and ``deadline`` included), so
        a missing file, a syntax error or an undefined variable shows at check-config
        time rather than at send time. An empty list means all is well.
        """
        problems: list[str] = []
        for name, language in dict.fromkeys(names):
            try:
                self.render(name, language, sample_context(language))
            except TemplateError as exc:
                problems.append(f"template {name!r} ({language}): {exc}")
        return problems


def _syntax_error(exc: jinja2.TemplateSyntaxError) -> TemplateError:
    return TemplateError(f"{exc.filename or exc.name}:{exc.lineno}: syntax error: {exc.message}")


# The values a trial render uses; render.template_context produces the same shape.
_SAMPLE_SENT_AT = datetime(2026, 11, 14, 10, 30, tzinfo=UTC)
_SAMPLE_PROMISED = date(2026, 12, 4)


def _sample_due(
    due: date, days_overdue: int, promised: date | None, language: str
) -> dict[str, Any]:
    """The due-date variables an invoice or a deadline has (render._due_vars' shape)."""
    return {
        "due": local_day(due, language),
        "due_date": due,
        "days_overdue": days_overdue,
        "promised": local_day(promised, language) if promised else None,
    }


def _sample_invoice(
    number: str, amount: str, due: date, days_overdue: int, promised: date | None, language: str
) -> dict[str, Any]:
    return {
        "number": number,
        "amount": amount,
        **_sample_due(due, days_overdue, promised, language),
    }


def _sample_deadline(language: str) -> dict[str, Any]:
    what = "feedback on the logo drafts"
    return {"what": what, **_sample_due(date(2026, 12, 3), 2, _SAMPLE_PROMISED, language)}


def sample_context(language: str = "en") -> dict[str, Any]:
    """Return a context with every template variable set to a plausible value.

    Each call builds fresh values: a trial render cannot change the next one's."""
    first = ("INV-2026-014", "1,200 GEL", date(2026, 12, 1), 3, _SAMPLE_PROMISED)
    return {
        "client": {"name": "Acme Ltd", "first_name": "Jane"},
        "account": {"display_name": "Nino Beridze", "address": "nino@studio.example"},
        "thread": {
            "subject": "Logo drafts",
            "last_sent_at": local_day(_SAMPLE_SENT_AT.date(), language),
            "sent_at": _SAMPLE_SENT_AT,
        },
        "days_silent": 8,
        "step": 1,
        "language": language,
        "invoice": _sample_invoice(*first, language),
        "deadline": _sample_deadline(language),
        "invoices": [
            _sample_invoice(*first, language),
            _sample_invoice("INV-2026-015", "300 GEL", date(2026, 12, 2), 2, None, language),
        ],
        "deadlines": [_sample_deadline(language)],
        "close_on": local_day(date(2026, 11, 27), language),
        "returned": False,
    }
