"""docs/templates.md tells template authors the truth: every variable and day form it
lists renders from the context a real decision produces, in every built-in language."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from ghostwatch.core.domain import Deadline, Invoice, LadderKind
from ghostwatch.core.render import template_context
from ghostwatch.core.template_sandbox import Sandbox
from ghostwatch.core.templates import LANGUAGES, TemplateSet
from tests.unit.core.test_render import ACCOUNT, CLIENT, DECISION, NOW

DOC = Path(__file__).parents[3] / "docs" / "templates.md"
_ROW = re.compile(r"^\| ((?:`[^`]+`(?:, )?)+) \|", re.MULTILINE)
_FORM = re.compile(r"^\| `(\.[a-z]+)` \|", re.MULTILINE)


def documented() -> list[str]:
    text = DOC.read_text(encoding="utf-8")
    names: list[str] = []
    for cell in _ROW.findall(text):
        names += re.findall(r"`([^`]+)`", cell)
    return [n for n in names if not n.startswith(".")]  # the day forms are checked apart


def full_context(language: str) -> dict[str, object]:
    """A check-in that also carries two invoices and a deadline, after a holiday."""
    inv = Invoice("invoice:A-1", "A-1", "100 GEL", date(2026, 11, 2), expected_by=date(2026, 11, 6))
    dl = Deadline("deadline:x", "the texts", date(2026, 11, 3), expected_by=date(2026, 11, 6))
    covered = (
        replace(DECISION, ladder="invoice:A-1", kind=LadderKind.INVOICE, invoice=inv),
        replace(DECISION, ladder="deadline:x", kind=LadderKind.DEADLINE, deadline=dl),
        replace(DECISION, ladder="invoice:A-2", kind=LadderKind.INVOICE,
                invoice=replace(inv, key="invoice:A-2", number="A-2")),
    )  # fmt: skip
    decision = replace(DECISION, covers=covered, close_on=date(2026, 11, 27), returned=True)
    return template_context(decision, replace(CLIENT, language=language), ACCOUNT, NOW)


def render(source: str, context: dict[str, object]) -> str:
    env = Sandbox(undefined=__import__("jinja2").StrictUndefined)
    return env.from_string(source).render(context)


def test_the_guide_lists_the_variables() -> None:
    names = documented()
    assert {"client.first_name", "close_on", "returned", "invoices", "thread.subject"} <= set(names)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_documented_variable_renders(language: str) -> None:
    context = full_context(language)
    for name in documented():
        assert render(f"{{{{ {name} }}}}", context) not in ("", "None"), name
    for form in _FORM.findall(DOC.read_text(encoding="utf-8")):
        assert render(f"{{{{ close_on{form} }}}}", context).strip(), form


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_worked_example_and_the_built_ins_render_with_it(language: str, tmp_path: Path) -> None:
    example = DOC.read_text(encoding="utf-8").split("templates/ka/check_in.txt`:")[1]
    source = example.split("```")[1].removeprefix("\n")
    (tmp_path / "ka").mkdir()
    (tmp_path / "ka" / "check_in.txt").write_text(source, encoding="utf-8")
    text, _ = TemplateSet(tmp_path).render("check_in", "ka", full_context("ka"))
    assert "ჩემს 15 ნოემბრის წერილზე" in text  # 14 Nov 20:00 UTC is the 15th in Bangkok
    builtin, _ = TemplateSet(None).render("payment_reminder", language, full_context(language))
    assert "A-1" in builtin and "A-2" in builtin
    promised, _ = TemplateSet(None).render("promise_reminder", language, full_context(language))
    assert "A-1" in promised and "A-2" in promised
