"""The template sandbox's bounds (``core/template_sandbox.py``), at their edges.

Proves, on ``Sandbox`` and ``render_bounded`` directly: the step budget counts loop
iterations and calls, lets exactly ``STEP_BUDGET`` through and refuses one more, and
is fresh per render; ``*``, ``**``, ``%`` widths, ``center``, ``replace`` and ``join``
are allowed up to their caps and refused one past them; ``~`` and every filter refuse a
value over ``MAX_TEXT``; the rendered text may be ``MAX_TEXT`` long, not longer; the
multiplying ``str`` methods and ``lipsum`` are refused outright; every failure comes
out as ``TemplateError`` naming the file and line. The hostile templates of issue 15
(tests/unit/core/test_templates.py) are not repeated here.
"""

from __future__ import annotations

import tracemalloc
from pathlib import Path
from typing import Any

import jinja2
import pytest

from ghostwatch.core.template_sandbox import MAX_TEXT, STEP_BUDGET, Sandbox, render_bounded
from ghostwatch.errors import TemplateError


def render(source: str, **context: Any) -> str:
    return render_bounded(Sandbox().from_string(source), context)


def refused(source: str, match: str = "not allowed in a template", **context: Any) -> None:
    with pytest.raises(TemplateError, match=match):
        render(source, **context)


# --- the step budget -----------------------------------------------------------------

CALLS = "{% macro m() %}{% endmacro %}{% for i in items %}{{ m() }}{% endfor %}done"
TWICE = "{% for i in items %}{% endfor %}{% for i in items %}{% endfor %}done"


@pytest.mark.parametrize(
    ("source", "n", "ok"),
    [
        # n iterations of a loop over a given list: n steps
        ("{% for i in items %}{% endfor %}done", STEP_BUDGET, True),
        ("{% for i in items %}{% endfor %}done", STEP_BUDGET + 1, False),
        # each call is a step too: n iterations + n calls
        (CALLS, STEP_BUDGET // 2, True),
        (CALLS, STEP_BUDGET // 2 + 1, False),
        # steps add up across loops, nested or not
        (TWICE, STEP_BUDGET // 2, True),
        (TWICE, STEP_BUDGET // 2 + 1, False),
    ],
)  # fmt: skip
def test_the_step_budget_is_exact(source: str, n: int, ok: bool) -> None:
    if ok:
        assert render(source, items=list(range(n))).endswith("done")
    else:
        refused(source, match="ran too long", items=list(range(n)))


def test_each_render_starts_with_a_full_budget() -> None:
    template = Sandbox().from_string("{% for i in items %}{% endfor %}ok")
    items = list(range(STEP_BUDGET))
    assert [render_bounded(template, {"items": items}) for _ in range(3)] == ["ok"] * 3


# --- one step cannot build a huge value ----------------------------------------------


@pytest.mark.parametrize(
    ("source", "ok"),
    [
        ("{{ ('x' * 100000)|length }}", True),
        ("{{ ('x' * 100001)|length }}", False),
        ("{{ (100001 * 'x')|length }}", False),
        ("{{ ([0] * 100001)|length }}", False),
        ("{{ 2 ** 64 }}", True),
        ("{{ 2 ** 65 }}", False),
        ("{{ 2.0 ** 65 }}", False),
        ("{{ 1 ** 1000000 }}", True),  # cannot grow
        ("{{ ('%100000s' % 'x')|length }}", True),
        ("{{ ('%100001s' % 'x')|length }}", False),
        ("{{ ('x'|center(100000))|length }}", True),
        ("{{ ('x'|center(100001))|length }}", False),
        ("{{ (('x' * 1000)|replace('x', 'y' * 100))|length }}", True),
        ("{{ (('x' * 1000)|replace('x', 'y' * 101))|length }}", False),
        ("{{ (['x' * 50000, 'y' * 50000]|join)|length }}", True),
        ("{{ (['x' * 50000, 'y' * 50001]|join)|length }}", False),
    ],
)
def test_size_caps_allow_up_to_the_cap_and_refuse_past_it(source: str, ok: bool) -> None:
    if ok:
        assert render(source).isdigit()
    else:
        refused(source)


@pytest.mark.parametrize("source", ["{{ (big ~ 'y')|length }}", "{{ (big + 'y')|length }}"])
def test_concatenation_refuses_a_value_over_max_text(source: str) -> None:
    assert render(source, big="x" * (MAX_TEXT - 1)) == str(MAX_TEXT)
    refused(source, big="x" * MAX_TEXT)


@pytest.mark.parametrize("source", ["{{ (big|list)|length }}", "{{ big|upper|length }}"])
def test_a_filter_refuses_to_return_a_value_over_max_text(source: str) -> None:
    assert render(source, big="x" * MAX_TEXT) == str(MAX_TEXT)
    refused(source, big="x" * (MAX_TEXT + 1))


def test_the_rendered_text_may_be_max_text_long_and_no_longer() -> None:
    half = "x" * (MAX_TEXT // 2)
    assert len(render("{{ a }}{{ a }}", a=half)) == MAX_TEXT
    refused("{{ a }}{{ a }}!", match="rendered text is too long", a=half)


@pytest.mark.parametrize(
    "method",
    [
        "center(3)",
        "ljust(3)",
        "rjust(3)",
        "zfill(3)",
        "join('ab')",
        "replace('x', 'y')",
        "expandtabs(4)",
    ],
)
def test_multiplying_str_methods_are_refused_even_when_small(method: str) -> None:
    refused("{{ 'x'." + method + " }}")


@pytest.mark.parametrize(
    "source",
    [
        "{{ '{:>50000000}'.format('x') }}",
        "{{ '{x:>50000000}'.format_map({'x': 'a'}) }}",
        "{{ '{:>{}}'.format('x', 50000000) }}",
        "{{ '{x:>{w}}'.format_map({'x': 'a', 'w': 50000000}) }}",
    ],
)
def test_str_format_widths_are_refused_before_they_build_the_text(source: str) -> None:
    assert refused_peak(source) < 50 * MAX_TEXT  # 5 MB: never the 50 MB the width asks for


def refused_peak(source: str) -> int:
    """The peak memory (bytes) a refused render took."""
    tracemalloc.start()
    try:
        with pytest.raises(TemplateError, match="not allowed in a template"):
            render(source)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize(
    "source",
    ["{{ 'x'|center(50000000) }}", "{{ '%50000000s' % 'x' }}", "{{ '%50000000s'|format('x') }}"],
)
def test_checked_widths_are_refused_before_they_build_the_text(source: str) -> None:
    assert refused_peak(source) < 50 * MAX_TEXT


def test_lipsum_is_gone() -> None:
    assert "lipsum" not in Sandbox().globals
    assert "lipsum" in jinja2.sandbox.SandboxedEnvironment().globals
    with pytest.raises(TemplateError, match="lipsum"):
        render("{{ lipsum(1) }}")


# --- every failure is a TemplateError naming the file and line -----------------------


@pytest.mark.parametrize(
    ("line", "error"),
    [
        ("{{ 1 // 0 }}", "ZeroDivisionError"),
        ("{{ 1 + 'a' }}", "TypeError"),
        ("{{ client.name.first }}", "'client' is undefined"),
        ("{{ 'x' * 100001 }}", "not allowed in a template: repetition too large"),
        (
            "{% for i in items %}{% endfor %}",
            "not allowed in a template: the template ran too long",
        ),
    ],
)
def test_a_failure_names_the_file_and_the_line(tmp_path: Path, line: str, error: str) -> None:
    (tmp_path / "check_in.txt").write_text("Hi\n\n" + line + "\n", encoding="utf-8")
    template = Sandbox(loader=jinja2.FileSystemLoader(tmp_path)).get_template("check_in.txt")
    with pytest.raises(TemplateError) as caught:
        render_bounded(template, {"items": range(STEP_BUDGET + 1)})
    message = str(caught.value)
    assert message.startswith(str(tmp_path / "check_in.txt") + ":3: ")
    assert error in message


def test_a_template_without_a_file_is_named_as_such() -> None:
    with pytest.raises(TemplateError, match=r"^<template>(:\d+)?: ZeroDivisionError"):
        render("{{ 1 // 0 }}")


def test_str_format_within_bounds_still_formats() -> None:
    assert render("{{ '{:>6}|{x}'.format('ab', x='c') }}") == "    ab|c"
