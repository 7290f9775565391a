"""check-config's trial renders: every template in every context shape it can meet."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from ghostwatch.app.trial import check_templates, template_uses
from ghostwatch.cli import entry as cli
from ghostwatch.config.loader import parse_config
from ghostwatch.core.templates import TemplateSet

BASE = """\
[[accounts]]
name = "studio"
address = "nino@studio.example"
display_name = "Nino Beridze"
timezone = "Asia/Tbilisi"

[accounts.imap]
host = "127.0.0.1"
security = "none"
username = "nino"
password = "x"

[accounts.smtp]
host = "127.0.0.1"
security = "none"
username = ""

[templates]
dir = "{dir}"

[[clients]]
name = "Acme Ltd"
emails = ["jane@acme.example"]
language = "{language}"
[[clients.invoices]]
number = "INV-7"
amount = "90 GEL"
due = "2026-11-20"
[[clients.deadlines]]
what = "{what}"
due = "2026-12-03"
"""


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def problems(
    tmp_path: Path, language: str = "en", what: str = "feedback on the logo drafts"
) -> list[str]:
    text = BASE.format(dir=tmp_path / "templates", language=language, what=what)
    path = tmp_path / "config.toml"
    write(path, text)
    import tomllib

    config = parse_config(tomllib.loads(text), path)
    return check_templates(config, TemplateSet(config.templates.dir or None))


@pytest.mark.parametrize("language", ["en", "ka", "th"])
def test_the_builtins_pass_every_shape_in_every_language(tmp_path: Path, language: str) -> None:
    (tmp_path / "templates").mkdir()
    assert problems(tmp_path, language) == []


def test_a_template_that_needs_a_thread_fails_for_an_invoice_without_mail(tmp_path: Path) -> None:
    """Issue 15: this passed check-config (the old trial context always had a thread),
    then failed at every cycle for an invoice client with no mail yet."""
    write(
        tmp_path / "templates" / "payment_reminder.txt",
        "Subject: Invoice {{ invoice.number }}\n\nHi,\n\nabout {{ thread.subject }}:\n",
    )
    [problem] = problems(tmp_path)
    assert problem.startswith("template 'payment_reminder' (en, invoice ladder step 1, ")
    assert "no thread yet" in problem
    assert f"{tmp_path / 'templates' / 'payment_reminder.txt'}:5:" in problem  # file:line
    assert "'None' has no attribute 'subject'" in problem  # the missing variable


def test_a_guarded_thread_passes(tmp_path: Path) -> None:
    write(
        tmp_path / "templates" / "payment_reminder.txt",
        "Hi,\n{% if thread %}about {{ thread.subject }}{% else %}invoice {{ invoice.number }}"
        "{% endif %}\n",
    )
    assert problems(tmp_path) == []


def test_an_undefined_variable_is_named_with_its_line(tmp_path: Path) -> None:
    write(tmp_path / "templates" / "check_in.txt", "Hi {{ client.first_name }},\n{{ clinet }}\n")
    [problem] = problems(tmp_path)
    assert "(en, silence ladder step 1, in a thread)" in problem
    assert "check_in.txt:2: 'clinet' is undefined" in problem


def test_a_runaway_template_is_stopped_at_check_config(tmp_path: Path) -> None:
    write(
        tmp_path / "templates" / "check_in.txt",
        "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}\n",
    )
    [problem] = problems(tmp_path)
    assert "check_in.txt:1:" in problem and "ran too long" in problem


def test_a_deadline_with_a_line_break_and_no_subject_line_renders(tmp_path: Path) -> None:
    """Issue 15: a custom deadline template without ``Subject:`` falls back to the
    deadline's ``what``; a CR/LF in it must not crash the render (nor reach a header)."""
    write(tmp_path / "templates" / "deadline_reminder.txt", "Hi,\n\nstill waiting.\n")
    assert problems(tmp_path, what="logo\\r\\nBcc: evil@example.com") == []


def test_uses_follow_each_clients_ladders_and_language(tmp_path: Path) -> None:
    text = BASE.format(dir="", language="ka", what="x")
    import tomllib

    config = parse_config(tomllib.loads(text), tmp_path / "config.toml")
    uses = {(n, lang, k.value, s) for n, lang, k, s in template_uses(config)}
    assert ("payment_reminder", "ka", "invoice", 1) in uses
    assert ("work_paused", "ka", "invoice", 2) in uses
    assert ("closing_notice", "ka", "silence", 2) in uses
    assert ("check_in", "en", "silence", 1) in uses  # the [rules] ladders, in English


def test_check_config_exits_2_naming_template_line_and_variable(
    tmp_path: Path, capsys: Any
) -> None:
    write(
        tmp_path / "templates" / "payment_reminder.txt",
        textwrap.dedent("""\
            Subject: Invoice {{ invoice.number }}

            About {{ thread.subject }}.
            """),
    )
    path = tmp_path / "config.toml"
    write(path, BASE.format(dir=tmp_path / "templates", language="en", what="x"))
    assert cli.main(["--config", str(path), "check-config"]) == 2
    err = capsys.readouterr().err
    # the key path that chose it: the built-in invoice ladder, overridden in templates.dir
    assert "config.toml: templates.dir: template 'payment_reminder'" in err
    assert "payment_reminder.txt:3: 'None' has no attribute 'subject'" in err
