"""What plain ``check-config`` says about password sources, the auth keys, and how the
online check names folders (PURE parts; the logins are in tests/integration/test_auth.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ghostwatch.app.online_check import folder_check
from ghostwatch.cli import entry as cli
from ghostwatch.config.loader import parse_config
from ghostwatch.core.domain import FolderRole
from ghostwatch.errors import ConfigError
from tests.support.one_account import one_account_text, write_one_account


def write(tmp_path: Path, imap: str = 'password_env = "IMAP_PW"', smtp: str = "") -> Path:
    return write_one_account(tmp_path, imap, smtp)


def check(path: Path, capsys: Any) -> tuple[int, str]:
    capsys.readouterr()
    code = cli.main(["--config", str(path), "check-config"])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_no_password_source_outside_systemd_is_a_config_error_naming_the_key(
    tmp_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CREDENTIALS_DIRECTORY", raising=False)
    code, out = check(write(tmp_path), capsys)
    assert code == 2
    assert "config.toml: accounts[0].smtp: no password source" in out
    assert "LoadCredential=studio-smtp:" in out
    assert "accounts[0].imap" not in out  # it has password_env


def test_a_credentials_directory_with_the_file_makes_it_valid(
    tmp_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    credentials = tmp_path / "credentials"
    credentials.mkdir()
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(credentials))
    code, out = check(write(tmp_path), capsys)
    assert code == 2 and "the systemd credential 'studio-smtp' is not in" in out
    (credentials / "studio-smtp").write_text("pw\n")
    code, out = check(write(tmp_path), capsys)
    assert code == 0, out


def test_an_empty_username_means_no_login_and_needs_no_password(
    tmp_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CREDENTIALS_DIRECTORY", raising=False)
    code, out = check(write(tmp_path, smtp='username = ""'), capsys)
    assert code == 0, out


def account_problems(imap: str) -> list[str]:
    import tomllib

    data = tomllib.loads(one_account_text(imap, 'password_env = "S"'))
    with pytest.raises(ConfigError) as caught:
        parse_config(data)
    return caught.value.problems


def test_xoauth2_needs_a_token_source_that_can_refresh() -> None:
    (problem,) = account_problems('auth = "xoauth2"\npassword = "ya29.static"')
    assert problem.startswith("config.toml: accounts[0].imap: ")
    assert "password_command" in problem and "ya29" not in problem
    (problem,) = account_problems('auth = "xoauth2"\nusername = ""')
    assert 'auth = "xoauth2" needs a username' in problem
    (problem,) = account_problems('auth = "oauth"\npassword_env = "T"')
    assert "accounts[0].imap.auth" in problem


def test_auth_defaults() -> None:
    import tomllib

    config = parse_config(tomllib.loads(one_account_text('password_env = "I"')))
    account = config.accounts[0]
    assert account.auth_retry.total_seconds() == 15 * 60
    assert account.imap.auth == "password" and account.smtp is not None
    assert account.smtp.auth == "password"


SPECIAL = {FolderRole.INBOX: "INBOX", FolderRole.SENT: "Sent"}


@pytest.mark.parametrize(
    ("role", "configured", "special", "names", "ok", "words"),
    [
        (FolderRole.SENT, "auto", SPECIAL, ["INBOX", "Sent"], True, "'Sent' (SPECIAL-USE)"),
        (FolderRole.SENT, "auto", {}, ["INBOX", "Sent"], True, "by its name"),
        (FolderRole.SENT, "auto", {}, ["INBOX", "Sent Items"], False, '= "Sent Items"'),
        (FolderRole.SENT, "auto", {}, ["INBOX"], False, "set folders.sent"),
        (FolderRole.SENT, "Outbox", {}, ["INBOX", "Outbox"], True, "'Outbox' (folders.sent)"),
        (FolderRole.SENT, "Outbox", {}, ["INBOX"], False, "'Outbox' does not exist"),
        (FolderRole.DRAFTS, "auto", {}, ["INBOX"], True, 'needed only for mode = "draft"'),
        (FolderRole.DRAFTS, "", {}, ["INBOX"], True, "not used"),
    ],
)  # fmt: skip
def test_folder_check_says_how_each_folder_was_found(
    role: FolderRole,
    configured: str,
    special: dict[FolderRole, str],
    names: list[str],
    ok: bool,
    words: str,
) -> None:
    found = folder_check("studio", role, configured, special, names, needed=role is FolderRole.SENT)
    assert found.ok is ok
    assert words in found.line()
    assert found.line().startswith("studio: ")
