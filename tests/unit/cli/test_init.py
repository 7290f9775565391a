"""``ghostwatch init``: a starter config check-config accepts, no password in it, and the
systemd unit for the executable that runs it (verified by systemd-analyze)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from ghostwatch.cli import entry as cli
from ghostwatch.cli import init
from ghostwatch.cli.parser import build_parser
from ghostwatch.config.loader import find_config_path
from ghostwatch.config.providers import PROVIDER_KEYS, PROVIDERS, provider_for
from ghostwatch.config.starter import Answers, render
from ghostwatch.errors import ConfigError

ROOT = Path(__file__).parents[3]
FASTMAIL = [
    "init",
    "--address",
    "me@example.com",
    "--provider",
    "fastmail",
    "--timezone",
    "Asia/Tbilisi",
    "--language",
    "ka",
]


def test_init_writes_a_config_that_check_config_accepts(tmp_path: Path, capsys: Any) -> None:
    out = tmp_path / "conf" / "config.toml"
    assert cli.main([*FASTMAIL, "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert f"wrote {out}" in said and "app-password" in said
    assert cli.main(["--config", str(out), "check-config"]) == 0
    assert "OK (1 account(s), 0 client(s))" in capsys.readouterr().out
    data = tomllib.loads(out.read_text())
    account = data["accounts"][0]
    assert (account["imap"]["host"], account["imap"]["port"]) == ("imap.fastmail.com", 993)
    assert (account["smtp"]["host"], account["smtp"]["port"]) == ("smtp.fastmail.com", 465)
    assert account["imap"]["security"] == account["smtp"]["security"] == "tls"
    assert account["timezone"] == "Asia/Tbilisi" and data["summary"]["language"] == "ka"
    assert account["dry_run"] is True  # watch before trusting
    # never a password: the file says where it lives instead
    assert "password" not in account["imap"] and account["imap"]["password_file"]
    assert out.stat().st_mode & 0o777 == 0o600
    assert out.parent.stat().st_mode & 0o777 == 0o700


def test_init_never_replaces_a_config_unless_forced(tmp_path: Path, capsys: Any) -> None:
    out = tmp_path / "config.toml"
    out.write_text("# mine\n")
    assert cli.main([*FASTMAIL, "--out", str(out)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert out.read_text() == "# mine\n"
    assert cli.main([*FASTMAIL, "--out", str(out), "--force"]) == 0
    assert "imap.fastmail.com" in out.read_text()


def test_init_without_an_address_and_no_terminal_is_a_usage_error(
    tmp_path: Path, capsys: Any
) -> None:
    assert cli.main(["init", "--out", str(tmp_path / "c.toml")]) == 2
    assert "--address" in capsys.readouterr().err
    assert not (tmp_path / "c.toml").exists()


@pytest.mark.parametrize("key", PROVIDER_KEYS)
def test_every_provider_preset_validates(key: str, tmp_path: Path) -> None:
    from ghostwatch.config.loader import load_config

    provider = provider_for(key, "studio.example")
    text = render(Answers("nino@studio.example", provider, "Asia/Bangkok", "th"))
    out = tmp_path / "config.toml"
    init.write_config(out, text)
    account = load_config(out).accounts[0]
    assert account.imap.host == provider.imap.host and account.imap.port == provider.imap.port
    assert account.smtp is not None and account.smtp.security == provider.smtp.security
    expected_user = "nino" if provider.imap_user_is_local_part else "nino@studio.example"
    assert account.imap.username == expected_user


def test_a_password_command_replaces_the_password_file(tmp_path: Path) -> None:
    from ghostwatch.config.loader import load_config

    out = tmp_path / "config.toml"
    assert (
        cli.main([*FASTMAIL, "--out", str(out), "--password-command", "pass show 'my mail'"]) == 0
    )
    account = load_config(out).accounts[0]
    assert account.imap.secret().argv == ("pass", "show", "my mail")
    assert "password_file =" not in out.read_text()


@pytest.mark.parametrize("systemd", [None, "system"])
def test_outlook_gets_an_oauth2_token_helper_never_a_password_file(
    systemd: str | None, tmp_path: Path
) -> None:
    """Outlook.com takes no password over IMAP or SMTP: the preset writes auth = xoauth2
    and a token helper's command, for the user and the system service alike."""
    from ghostwatch.config.loader import load_config

    out = tmp_path / "config.toml"
    argv = [
        "init",
        "--address",
        "nino@outlook.com",
        "--timezone",
        "Asia/Tbilisi",
        "--out",
        str(out),
    ]
    assert cli.main([*argv, *(["--systemd", systemd] if systemd else [])]) == 0
    account = load_config(out).accounts[0]
    assert account.imap.host == "outlook.office365.com"
    for server in (account.imap, account.smtp):
        assert server is not None and server.auth == "xoauth2"
        assert server.secret().argv == ("oama", "access", "nino@outlook.com")
    assert "password_file" not in out.read_text()
    given = tmp_path / "given.toml"
    assert cli.main([*argv[:-1], str(given), "--password-command", "mutt_oauth2.py tok"]) == 0
    assert load_config(given).accounts[0].imap.secret().argv == ("mutt_oauth2.py", "tok")


def test_questions_on_a_terminal_fill_what_flags_leave_open() -> None:
    asked: list[str] = []

    def ask(question: str, default: str) -> str:
        asked.append(question)
        return {"Your email address": "somchai@icloud.com"}.get(question, default)

    got = init.answers(init.Choices(None, None, None, "th"), ask, {"TZ": "Asia/Bangkok"})
    assert got.address == "somchai@icloud.com"
    assert got.provider == PROVIDERS["icloud"]  # guessed from the domain, offered as default
    assert got.timezone == "Asia/Bangkok" and got.language == "th"
    assert len(asked) == 3  # address, provider, time zone; --language was given


def test_a_bad_answer_is_rejected_before_anything_is_written(tmp_path: Path) -> None:
    text = render(Answers("me@example.com", PROVIDERS["gmail"], "Mars/Olympus", "ka"))
    with pytest.raises(ConfigError, match="unknown time zone 'Mars/Olympus'"):
        init.write_config(tmp_path / "config.toml", text)
    assert list(tmp_path.iterdir()) == []


def test_the_missing_config_error_says_to_run_init(tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "none")}
    with pytest.raises(ConfigError, match="ghostwatch init"):
        find_config_path(None, env)


# --- the systemd unit -------------------------------------------------------------------


def test_a_pipx_executable_becomes_a_home_relative_unit_path(tmp_path: Path) -> None:
    home = tmp_path / "home"
    exe = home / ".local" / "bin" / "ghostwatch"
    exe.parent.mkdir(parents=True)
    exe.write_text("#!/bin/sh\n")
    found = init.resolve_executable(str(exe), which=lambda _name: None)
    assert found == str(exe)
    assert init.unit_path(found, str(home)) == "%h/.local/bin/ghostwatch"
    unit = init.render_unit("user", init.unit_path(found, str(home)))
    assert "ExecStart=%h/.local/bin/ghostwatch --config %E/ghostwatch/config.toml run" in unit
    # a path with a space or a percent sign stays one word of the command line
    assert init.unit_path("/opt/my apps/ghostwatch", "/home/x") == '"/opt/my apps/ghostwatch"'
    assert init.unit_path("/srv/50%/ghostwatch", "/home/x") == "/srv/50%%/ghostwatch"


def test_without_a_ghostwatch_argv0_the_one_on_path_is_used() -> None:
    assert init.resolve_executable(
        "/usr/bin/pytest", which=lambda _n: "/opt/gw/bin/ghostwatch"
    ) == ("/opt/gw/bin/ghostwatch")
    fallback = init.resolve_executable("/usr/bin/pytest", which=lambda _n: None)
    assert fallback.endswith(" -m ghostwatch")


def _console_script() -> str:
    script = Path(sys.executable).parent / "ghostwatch"
    if not script.is_file():
        pytest.skip("the ghostwatch console script is not installed next to this Python")
    return str(script)


def _verify(unit_text: str, tmp_path: Path, *, user: bool) -> subprocess.CompletedProcess[str]:
    """systemd-analyze verify, man page checks included: MANPATH holds the shipped page."""
    man = tmp_path / "man" / "man1"
    man.mkdir(parents=True)
    shutil.copy(ROOT / "docs" / "ghostwatch.1", man)
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    path = tmp_path / "units" / "ghostwatch.service"
    path.parent.mkdir()
    path.write_text(unit_text)
    args = ["systemd-analyze", "verify", *(["--user"] if user else []), str(path)]
    env = dict(os.environ, XDG_RUNTIME_DIR=str(runtime), MANPATH=str(tmp_path / "man"))
    return subprocess.run(args, capture_output=True, text=True, env=env, check=False)


needs_systemd = pytest.mark.skipif(
    shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed"
)


@needs_systemd
def test_init_systemd_user_prints_a_unit_systemd_accepts(tmp_path: Path) -> None:
    script = _console_script()
    done = subprocess.run(
        [script, "init", "--systemd", "user"], capture_output=True, text=True, check=True
    )
    home = os.environ.get("HOME", "")
    assert f"ExecStart={init.unit_path(script, home)} --config" in done.stdout
    assert "RestartPreventExitStatus=2" in done.stdout.splitlines()
    verified = _verify(done.stdout.replace("%h", home), tmp_path, user=True)
    assert verified.returncode == 0, verified.stderr
    assert verified.stderr.strip() == ""


@needs_systemd
def test_init_systemd_system_writes_a_credential_config_and_its_unit(tmp_path: Path) -> None:
    script = _console_script()
    out = tmp_path / "etc" / "config.toml"
    args = [script, "init", "--systemd", "system", "--address", "ops@studio.example"]
    done = subprocess.run(
        [*args, "--provider", "gmail", "--out", str(out)],
        capture_output=True,
        text=True,
        check=True,
    )
    lines = done.stdout.splitlines()
    assert f"ExecStart={script} --config {out} run" in lines
    assert "LoadCredential=ops-imap:/etc/ghostwatch/credentials/ops-imap" in lines
    text = out.read_text()
    assert "password" not in text.replace("No password key", "")
    assert out.stat().st_mode & 0o777 == 0o644  # the dynamic user reads it; no secret in it
    verified = _verify(done.stdout, tmp_path, user=False)
    assert verified.returncode == 0, verified.stderr


def test_init_systemd_install_writes_the_unit(tmp_path: Path, capsys: Any) -> None:
    env = {"HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / ".config")}
    args = build_parser().parse_args(["init", "--systemd", "user", "--install"])
    from ghostwatch.cli.setup import cmd_init

    assert cmd_init(args, env) == 0
    unit = tmp_path / ".config" / "systemd" / "user" / "ghostwatch.service"
    assert "Type=notify" in unit.read_text()
    assert "systemctl --user daemon-reload" in capsys.readouterr().out
