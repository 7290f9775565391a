"""The nudge templates: lookup, sandboxed compilation, trial rendering (docs/templates.md).

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
- A render has a step budget (``STEP_BUDGET``): every loop iteration and every call
  made by the template counts, so nested ``range(100000)`` loops or a runaway
  recursive macro stop after at most that many steps with a ``TemplateError``. It
  counts steps, not seconds: deterministic and clock-free.
- One step cannot build a huge value either (``MAX_TEXT``): ``*``/``**`` are capped;
  ``+``, ``~``, ``%``, every filter and every call refuse a result over ``MAX_TEXT``
  characters; the filters and methods that can multiply their input in one go
  (``center``, ``indent``, ``wordwrap``, ``format``, ``replace``, ``join``; ``str``'s
  ``center``/``ljust``/``rjust``/``zfill``/``format``/``expandtabs``) are checked
  before they run or refused; ``lipsum`` is gone. A user template file over
  ``MAX_TEMPLATE_BYTES`` is refused unread. So a render is bounded in steps and in
  size, hence in time and memory.

Nothing here reads the clock; the only I/O is reading template files.
"""

from __future__ import annotations

import contextvars
import functools
import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from ghostwatch.errors import TemplateError

__all__ = [
    "BUILTIN_NAMES",
    "LANGUAGES",
    "STEP_BUDGET",
    "LocalDay",
    "TemplateSet",
    "format_date",
    "local_day",
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
# A template may not build a string, list or number bigger than this with * or **.
_MAX_PRODUCT = 100_000
_MAX_EXPONENT = 64
# No value a template builds, and no rendered nudge, is longer than this (characters):
# a long invoice list is a few thousand.
MAX_TEXT = 100_000
MAX_TEMPLATE_BYTES = 64 * 1024  # a user template file; the built-ins are under 2 KB
# str methods a template may not call: each can build a huge string from a small one
# in a single step (the filters of the same names are checked instead).
_UNSAFE_STR_METHODS = frozenset(
    {"center", "ljust", "rjust", "zfill", "expandtabs", "format", "format_map", "join", "replace"}
)
_WIDTH = re.compile(r"%[-+ #0]*(\d+)|[{:<>=^+ #0,_.-](\d{4,})")
# Loop iterations plus calls one render may make. The built-ins take under 20; a
# template listing a client's invoices a few dozen. Measured (bench/render_budget.py,
# against a stock SandboxedEnvironment in the same run): ~1.5 us per render plus
# ~0.4 us per counted step: 18.3 vs 16.7 us for the built-in check-in (1.09x), 77 vs
# 68 us for a 20-invoice list (1.14x); a nudge is rendered a handful of times a day.
# The nested range(100000) loops of issue 15 now stop in ~15 ms instead of minutes.
# With the size bounds (MAX_TEXT: every filter wrapped, + ~ % checked, output counted)
# the same bench measured 1.16x and 1.21x (1.06x and 1.09x without them, same machine,
# noisy): about 10 % more per render, for a render that cannot exhaust memory.
STEP_BUDGET = 10_000
_COUNTED = "_gw_counted"  # the filter every {% for %} iterable is passed through
_budget: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar(
    "ghostwatch_template_budget", default=None
)


class _Budget:
    """The steps one render has left (see the module invariants)."""

    __slots__ = ("left",)

    def __init__(self, steps: int) -> None:
        self.left = steps

    def spend(self) -> None:
        self.left -= 1
        if self.left < 0:
            raise SecurityError(
                f"the template ran too long (more than {STEP_BUDGET} loop iterations "
                "and calls in one render)"
            )


def _spend() -> None:
    if (budget := _budget.get()) is not None:
        budget.spend()


def _counted(iterable: Iterable[Any]) -> Iterator[Any]:
    """Yield ``iterable``'s items, one budget step each (every {% for %} goes through)."""
    for item in iterable:
        _spend()
        yield item


class _CountingCodeGenerator(CodeGenerator):
    """Compile every ``{% for %}`` over ``iterable|_gw_counted``.

    The tree is rewritten before Jinja2 compiles it (``code_generator_class`` is
    Jinja2's documented hook for changing the generated code); a template cannot
    opt out, whatever it writes.
    """

    def visit_Template(self, node: nodes.Template, frame: Frame | None = None) -> None:
        for loop in node.find_all(nodes.For):
            loop.iter = nodes.Filter(loop.iter, _COUNTED, [], [], None, None, lineno=loop.lineno)
        super().visit_Template(node, frame)

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        """``a ~ b`` too: its result is bounded like every other value."""
        self.write("environment.globals['_gw_bounded'](")
        super().visit_Concat(node, frame)
        self.write(")")


def _bounded(value: Any) -> Any:
    """``value``, unless it is a string or sequence longer than MAX_TEXT."""
    if isinstance(value, str | list | tuple) and len(value) > MAX_TEXT:
        raise SecurityError(f"text too long (over {MAX_TEXT} characters in one value)")
    return value


def _check_widths(fmt: Any) -> None:
    """Refuse a format string whose widths or precisions would build a huge value."""
    if isinstance(fmt, str):
        for found in _WIDTH.finditer(fmt):
            width = int(found.group(1) or found.group(2))
            if width > MAX_TEXT:
                raise SecurityError(f"format width too large ({width})")


def _checked_filter(name: str, func: Any) -> Any:
    """Jinja2's filter ``func``, its result bounded, its multiplying arguments checked first."""

    @functools.wraps(func)  # keeps Jinja2's pass_context/pass_eval_context markers
    def filtered(*args: Any, **kwargs: Any) -> Any:
        values = [a for a in args if not isinstance(a, jinja2.runtime.Context | nodes.EvalContext)]
        values = [a for a in values if not isinstance(a, jinja2.Environment)]
        if name in ("center", "indent", "wordwrap"):
            for width in (*values[1:], *kwargs.values()):
                if isinstance(width, int) and not isinstance(width, bool) and width > MAX_TEXT:
                    raise SecurityError(f"{name} width too large ({width})")
        elif name == "format" and values:
            _check_widths(values[0])
        elif name == "replace" and len(values) >= 3:
            text, old, new = (str(v) for v in values[:3])
            if old and text.count(old) * len(new) > MAX_TEXT:
                raise SecurityError("replace would build too long a text")
        elif (
            name == "join"
            and values
            and isinstance(values[0], list | tuple)
            and sum(len(str(v)) for v in values[0]) > MAX_TEXT
        ):
            raise SecurityError("join would build too long a text")
        return _bounded(func(*args, **kwargs))

    return filtered


class _Sandbox(SandboxedEnvironment):
    """The sandbox, plus caps so a template cannot exhaust memory or CPU (module invariants)."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})
    code_generator_class = _CountingCodeGenerator

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.globals.pop("lipsum", None)  # lorem ipsum of any size: no use in a nudge
        self.filters = {name: _checked_filter(name, f) for name, f in self.filters.items()}
        self.globals["_gw_bounded"] = _bounded

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if isinstance(obj, str) and attr in _UNSAFE_STR_METHODS:
            return False
        return bool(super().is_safe_attribute(obj, attr, value))

    def call(
        __self,  # Jinja2's own signature: a template may pass a "self" keyword
        __context: jinja2.runtime.Context,
        __obj: Any,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        """Every call a template makes (functions, methods, macros, ``loop()``) is a
        budget step; otherwise the sandbox's own checks apply. A recursive loop's
        ``loop(items)`` iterates ``items`` outside the compiled ``for``: count them too."""
        _spend()
        if isinstance(__obj, jinja2.runtime.LoopContext) and len(args) == 1:
            args = (_counted(args[0]),)
        return _bounded(super().call(__context, __obj, *args, **kwargs))

    def call_binop(
        self, context: jinja2.runtime.Context, operator: str, left: Any, right: Any
    ) -> Any:
        """Refuse ``*``/``**`` whose result would be huge; otherwise behave as Jinja2 does."""
        if (
            operator == "**"
            and _is_number(left)
            and _is_number(right)
            and abs(left) > 1
            and abs(right) > _MAX_EXPONENT
        ):
            raise SecurityError("exponent too large")
        if operator == "%" and isinstance(left, str):
            _check_widths(left)
        if operator == "*":
            for seq, count in ((left, right), (right, left)):
                if (
                    isinstance(seq, str | list | tuple)
                    and isinstance(count, int)
                    and len(seq) * count > _MAX_PRODUCT
                ):
                    raise SecurityError("repetition too large")
        return _bounded(super().call_binop(context, operator, left, right))


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


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
        self._env = _Sandbox(
            loader=jinja2.PrefixLoader(loaders),
            autoescape=_autoescape,
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
        )
        self._env.filters[_COUNTED] = _counted

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
        return _render(text, context), (_render(html, context) if html is not None else None)

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


def _render(template: jinja2.Template, context: Mapping[str, Any]) -> str:
    """Render within a fresh step budget; every failure becomes ``TemplateError``
    naming the file and the template line it happened on."""
    token = _budget.set(_Budget(STEP_BUDGET))
    try:
        return _output(template, context)
    except SecurityError as exc:
        raise TemplateError(f"{_where(template, exc)}: not allowed in a template: {exc}") from exc
    except jinja2.UndefinedError as exc:
        raise TemplateError(f"{_where(template, exc)}: {exc.message}") from exc
    except jinja2.TemplateError as exc:
        raise TemplateError(f"{_where(template, exc)}: {exc}") from exc
    except (
        ArithmeticError,
        TypeError,
        ValueError,
        LookupError,
        AttributeError,
        RecursionError,
    ) as exc:
        # Template code is user code: its runtime errors are template errors.
        where = _where(template, exc)
        raise TemplateError(f"{where}: {type(exc).__name__}: {exc}") from exc
    finally:
        _budget.reset(token)


def _output(template: jinja2.Template, context: Mapping[str, Any]) -> str:
    """The rendered text, refused as soon as it grows past MAX_TEXT (a loop printing a
    big value many times stops there, not after building it all)."""
    parts, size = [], 0
    for part in template.generate(context):
        size += len(part)
        if size > MAX_TEXT:
            raise SecurityError(f"the rendered text is too long (over {MAX_TEXT} characters)")
        parts.append(part)
    return "".join(parts)


def _where(template: jinja2.Template, exc: BaseException | None = None) -> str:
    """``file`` or ``file:line``: Jinja2 rewrites the traceback so the template's own
    frames carry its file name and line numbers; the innermost one is where it failed."""
    name = template.filename or template.name or "<template>"
    line = None
    tb = exc.__traceback__ if exc is not None else None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == name:
            line = tb.tb_lineno
        tb = tb.tb_next
    return f"{name}:{line}" if line is not None else name


def _syntax_error(exc: jinja2.TemplateSyntaxError) -> TemplateError:
    return TemplateError(f"{exc.filename or exc.name}:{exc.lineno}: syntax error: {exc.message}")


# --- dates for humans -----------------------------------------------------------------

_MONTHS = {
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
    "ka": [
        "იანვარი",
        "თებერვალი",
        "მარტი",
        "აპრილი",
        "მაისი",
        "ივნისი",
        "ივლისი",
        "აგვისტო",
        "სექტემბერი",
        "ოქტომბერი",
        "ნოემბერი",
        "დეკემბერი",
    ],
    "th": [
        "มกราคม",
        "กุมภาพันธ์",
        "มีนาคม",
        "เมษายน",
        "พฤษภาคม",
        "มิถุนายน",
        "กรกฎาคม",
        "สิงหาคม",
        "กันยายน",
        "ตุลาคม",
        "พฤศจิกายน",
        "ธันวาคม",
    ],
}
_THAI_ERA_OFFSET = 543  # Thai business letters use the Buddhist era: 2026 CE = 2569 BE


def format_date(day: date, language: str) -> str:
    """Return ``day`` as a person writing ``language`` would: "1 December 2026",
    "1 დეკემბერი 2026", "1 ธันวาคม 2569". Unknown languages get the English form."""
    months = _MONTHS.get(language, _MONTHS["en"])
    year = day.year + _THAI_ERA_OFFSET if language == "th" else day.year
    return f"{day.day} {months[day.month - 1]} {year}"


# Georgian nouns decline: "27 ნოემბრის" (of 27 November), "27 ნოემბრამდე" (by 27 November).
_KA_MONTH_STEMS = [
    ("იანვრ", "იანვარ"),
    ("თებერვლ", "თებერვალ"),
    ("მარტ", "მარტ"),
    ("აპრილ", "აპრილ"),
    ("მაის", "მაის"),
    ("ივნის", "ივნის"),
    ("ივლის", "ივლის"),
    ("აგვისტო", "აგვისტო"),
    ("სექტემბრ", "სექტემბერ"),
    ("ოქტომბრ", "ოქტომბერ"),
    ("ნოემბრ", "ნოემბერ"),
    ("დეკემბრ", "დეკემბერ"),
]
_WEEKDAYS = {
    "en": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
    "ka": ["ორშაბათი", "სამშაბათი", "ოთხშაბათი", "ხუთშაბათი", "პარასკევი", "შაბათი", "კვირა"],
    "th": ["จันทร์", "อังคาร", "พุธ", "พฤหัสบดี", "ศุกร์", "เสาร์", "อาทิตย์"],
}


class LocalDay:
    """A local date as templates write it, in the client's language.

    ``{{ day }}`` is ``format_date`` ("27 November 2026"); ``day.weekday`` ("Friday");
    ``day.short`` (with the weekday, no year: "Friday 27 November",
    "პარასკევი, 27 ნოემბერი", "วันศุกร์ที่ 27 พฤศจิกายน"); ``day.of`` the genitive
    where the language declines ("27 ნოემბრის"; elsewhere the plain form);
    ``day.until`` "by ..." ("by Friday 27 November", "27 ნოემბრამდე",
    "ภายในวันศุกร์ที่ 27 พฤศจิกายน"); ``day.date`` the ``date`` itself.
    """

    __slots__ = ("date", "language")

    def __init__(self, day: date, language: str) -> None:
        self.date = day
        self.language = language if language in _WEEKDAYS else "en"

    def __str__(self) -> str:
        return format_date(self.date, self.language)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LocalDay) and (self.date, self.language) == (
            other.date,
            other.language,
        )

    def __hash__(self) -> int:
        return hash((self.date, self.language))

    @property
    def weekday(self) -> str:
        return _WEEKDAYS[self.language][self.date.weekday()]

    @property
    def short(self) -> str:
        months = _MONTHS[self.language]
        day, month = self.date.day, months[self.date.month - 1]
        if self.language == "th":
            return f"วัน{self.weekday}ที่ {day} {month}"
        if self.language == "ka":
            return f"{self.weekday}, {day} {month}"
        return f"{self.weekday} {day} {month}"

    @property
    def of(self) -> str:
        if self.language == "ka":
            stem = _KA_MONTH_STEMS[self.date.month - 1][0]
            ending = "ს" if stem.endswith("ო") else "ის"
            return f"{self.date.day} {stem}{ending}"
        return str(self)

    @property
    def until(self) -> str:
        if self.language == "ka":
            stem = _KA_MONTH_STEMS[self.date.month - 1][0]
            ending = "მდე" if stem.endswith("ო") else "ამდე"
            return f"{self.date.day} {stem}{ending}"
        if self.language == "th":
            return f"ภายใน{self.short}"
        return f"by {self.short}"


def local_day(day: date, language: str) -> LocalDay:
    """Return ``day`` as a ``LocalDay`` in ``language``."""
    return LocalDay(day, language)


# The values a trial render uses; render.template_context produces the same shape.
_SAMPLE_SENT_AT = datetime(2026, 11, 14, 10, 30, tzinfo=UTC)


def sample_context(language: str = "en") -> dict[str, Any]:
    """Return a context with every template variable set to a plausible value."""
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
        "invoice": {
            "number": "INV-2026-014",
            "amount": "1,200 GEL",
            "due": local_day(date(2026, 12, 1), language),
            "due_date": date(2026, 12, 1),
            "days_overdue": 3,
            "promised": local_day(date(2026, 12, 4), language),
        },
        "deadline": {
            "what": "feedback on the logo drafts",
            "due": local_day(date(2026, 12, 3), language),
            "due_date": date(2026, 12, 3),
            "days_overdue": 2,
            "promised": local_day(date(2026, 12, 4), language),
        },
        "invoices": [
            {
                "number": "INV-2026-014",
                "amount": "1,200 GEL",
                "due": local_day(date(2026, 12, 1), language),
                "due_date": date(2026, 12, 1),
                "days_overdue": 3,
                "promised": local_day(date(2026, 12, 4), language),
            },
            {
                "number": "INV-2026-015",
                "amount": "300 GEL",
                "due": local_day(date(2026, 12, 2), language),
                "due_date": date(2026, 12, 2),
                "days_overdue": 2,
                "promised": None,
            },
        ],
        "deadlines": [
            {
                "what": "feedback on the logo drafts",
                "due": local_day(date(2026, 12, 3), language),
                "due_date": date(2026, 12, 3),
                "days_overdue": 2,
                "promised": local_day(date(2026, 12, 4), language),
            }
        ],
        "close_on": local_day(date(2026, 11, 27), language),
        "returned": False,
    }
