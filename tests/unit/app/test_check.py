"""Template errors are reported with every other config error, at their key path
(issue 18: before, one was shown only once the rest was fixed, without a key path)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ghostwatch.app.check import check_config
from ghostwatch.cli import entry as cli
from ghostwatch.errors import ConfigError

CONFIG = """\
[[accounts]]
name = "studio"
address = "{address}"
timezone = "Asia/Tbilisi"
mode = "draft"
[accounts.imap]
host = "127.0.0.1"
security = "none"
username = "nino"
password = "x"

[summary]
enabled = false

[templates]
dir = "templates"

[rules]
ladder = [{{ after = "7d", template = "hello" }}]

[[clients]]
name = "Acme"
emails = ["jane@acme.example"]
language = "ka"
rules = {{ invoice_ladder = [{{ after = "3d", template = "pay_up" }}] }}
"""

BROKEN = "Subject: Hi\n\n{% if client.name %}unclosed\n"  # a syntax error on line 3


def setup(tmp_path: Path, *, address: str = "nino@studio.example", **files: str) -> Path:
    folder = tmp_path / "templates"
    folder.mkdir(exist_ok=True)
    good = "Subject: Hello {{ client.name }}\n\nHi.\n"
    for name in ("hello", "pay_up"):
        (folder / f"{name}.txt").write_text(files.get(name, good), encoding="utf-8")
    for name, text in files.items():
        (folder / f"{name}.txt").write_text(text, encoding="utf-8")
    path = tmp_path / "config.toml"
    path.write_text(CONFIG.format(address=address), encoding="utf-8")
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        check_config(path)
    return caught.value.problems


def test_a_template_error_comes_with_the_other_errors(tmp_path: Path) -> None:
    path = setup(tmp_path, address="nino@", hello=BROKEN)
    found = problems(path)
    assert found[0] == f"{path}: accounts[0].address: 'nino@' is not an email address"
    assert len(found) == 2, found
    assert found[1].startswith(f"{path}: rules.ladder[0].template: template 'hello' (")
    assert "hello.txt:3" in found[1]


def test_a_client_ladder_template_is_reported_at_the_client_key(tmp_path: Path) -> None:
    # valid otherwise: the full trial runs and names the client's own ladder
    path = setup(tmp_path, pay_up="Subject: {{ invoice.number }}\n\n{{ no_such_thing }}\n")
    found = problems(path)
    assert found, found
    assert all(
        p.startswith(f"{path}: clients[0].rules.invoice_ladder[0].template: template 'pay_up'")
        for p in found
    ), found
    assert "'no_such_thing' is undefined" in found[0]


def test_with_other_errors_a_client_ladder_template_is_checked_in_its_language(
    tmp_path: Path,
) -> None:
    path = setup(tmp_path, address="nino@", pay_up=BROKEN)
    found = problems(path)
    assert found[1].startswith(
        f"{path}: clients[0].rules.invoice_ladder[0].template: template 'pay_up' (ka):"
    ), found


def test_an_overridden_builtin_is_reported_at_templates_dir(tmp_path: Path) -> None:
    path = setup(tmp_path, address="nino@", work_paused=BROKEN)
    found = problems(path)
    assert any(p.startswith(f"{path}: templates.dir: template 'work_paused'") for p in found)


def test_a_good_config_with_good_templates_passes(tmp_path: Path, capsys: Any) -> None:
    path = setup(tmp_path)
    assert check_config(path).accounts[0].name == "studio"
    assert cli.main(["--config", str(path), "check-config"]) == 0
    assert "OK" in capsys.readouterr().out


def test_check_config_prints_them_all_and_exits_2(tmp_path: Path, capsys: Any) -> None:
    path = setup(tmp_path, address="nino@", hello=BROKEN)
    assert cli.main(["--config", str(path), "check-config"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert [line.split(": ")[1] for line in err] == [
        "accounts[0].address",
        "rules.ladder[0].template",
    ]


def test_a_toml_syntax_error_is_still_the_only_problem(tmp_path: Path) -> None:
    path = setup(tmp_path, hello=BROKEN)
    path.write_text(path.read_text() + "\n[[broken\n", encoding="utf-8")
    found = problems(path)
    assert len(found) == 1 and "line" in found[0]
