"""The template sandbox: Jinja2's ``SandboxedEnvironment`` with a step budget and size
bounds, so a user's template cannot exhaust CPU or memory (docs/templates.md).

Invariants:
- A render has a step budget (``STEP_BUDGET``): every loop iteration and every call
  made by the template counts, so nested ``range(100000)`` loops or a runaway
  recursive macro stop after at most that many steps with a ``TemplateError``. It
  counts steps, not seconds: deterministic and clock-free.
- One step cannot build a huge value either (``MAX_TEXT``): ``*``/``**`` are capped;
  ``+``, ``~``, ``%``, every filter and every call refuse a result over ``MAX_TEXT``
  characters; the filters and methods that can multiply their input in one go
  (``center``, ``indent``, ``wordwrap``, ``format``, ``replace``, ``join``; ``str``'s
  ``center``/``ljust``/``rjust``/``zfill``/``format``/``expandtabs``) are checked
  before they run or refused; ``lipsum`` is gone. So a render is bounded in steps and
  in size, hence in time and memory.
- ``render_bounded`` is the only way a template is rendered: every failure while
  rendering leaves it as ``TemplateError`` naming the file and the template line.

No I/O, no clock. Template lookup is ``core/templates.py``.
"""

from __future__ import annotations

import contextvars
import functools
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from ghostwatch.errors import TemplateError

__all__ = ["MAX_TEXT", "STEP_BUDGET", "Sandbox", "render_bounded"]

# A template may not build a string, list or number bigger than this with * or **.
_MAX_PRODUCT = 100_000
_MAX_EXPONENT = 64
# No value a template builds, and no rendered nudge, is longer than this (characters):
# a long invoice list is a few thousand.
MAX_TEXT = 100_000
# str methods a template may not call: each can build a huge string from a small one
# in a single step (the filters of the same names are checked instead).
_UNSAFE_STR_METHODS = frozenset(
    {"center", "ljust", "rjust", "zfill", "expandtabs", "join", "replace"}
)  # format and format_map: Sandbox.wrap_str_format checks their widths
_WIDTH = re.compile(r"%[-+ #0]*(\d+)|[{:<>=^+ #0,_.-](\d{4,})")
_NESTED_WIDTH = re.compile(r"\{[^{}]*:[^{}]*\{")  # "{:>{}}": the width is an argument
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


class Sandbox(SandboxedEnvironment):
    """The sandbox, plus caps so a template cannot exhaust memory or CPU (module invariants)."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})
    code_generator_class = _CountingCodeGenerator

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.globals.pop("lipsum", None)  # lorem ipsum of any size: no use in a nudge
        self.filters = {name: _checked_filter(name, f) for name, f in self.filters.items()}
        self.globals["_gw_bounded"] = _bounded
        self.filters[_COUNTED] = _counted  # every {% for %} iterable passes through it

    def wrap_str_format(self, value: Any) -> Any:
        """``str.format``/``format_map``, reached as an attribute: Jinja2 (>= 3.1.5) hands
        back its own sandboxed wrapper before ``is_safe_attribute`` is asked, so their
        widths are checked here, before the text is built (a nested width such as
        ``{:>{}}`` is refused: its size is only known from the arguments)."""
        wrapped = super().wrap_str_format(value)
        if wrapped is not None:
            _check_widths(value.__self__)
            if _NESTED_WIDTH.search(value.__self__):
                raise SecurityError("a format width taken from an argument")
        return wrapped

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


def render_bounded(template: jinja2.Template, context: Mapping[str, Any]) -> str:
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
