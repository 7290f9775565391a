"""Passwords: each source, lazy resolution, failures that never show the secret."""

from __future__ import annotations

import inspect
import sys
from pathlib import Path

import pytest

from ghostwatch.config.loader import Config, load_config
from ghostwatch.config.secrets import Secret
from ghostwatch.errors import ConfigError, SecretError
from tests.support.one_account import write_one_account

SECRET = "hunter2-secret"


def load(tmp_path: Path, imap: str = "", smtp: str = "") -> Config:
    return load_config(write_one_account(tmp_path, imap, smtp))


def imap_secret(tmp_path: Path, imap: str) -> Secret:
    return load(tmp_path, imap).accounts[0].imap.secret()


def test_plain_password(tmp_path: Path) -> None:
    secret = imap_secret(tmp_path, f'password = "{SECRET}"')
    assert secret.reveal({}) == SECRET
    assert repr(secret) == str(secret) == "Secret(source='password')"


def test_password_from_env_is_read_lazily(tmp_path: Path) -> None:
    secret = imap_secret(tmp_path, 'password_env = "GHOSTWATCH_IMAP_PASSWORD"')
    assert repr(secret) == "Secret(source='env:GHOSTWATCH_IMAP_PASSWORD')"
    assert secret.reveal({"GHOSTWATCH_IMAP_PASSWORD": SECRET}) == SECRET
    with pytest.raises(SecretError) as caught:
        secret.reveal({})
    assert str(caught.value) == (
        "studio-imap (env:GHOSTWATCH_IMAP_PASSWORD): environment variable"
        " GHOSTWATCH_IMAP_PASSWORD is not set"
    )


def test_password_env_defaults_to_os_environ(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GW_TEST_PASSWORD", SECRET)
    assert imap_secret(tmp_path, 'password_env = "GW_TEST_PASSWORD"').reveal() == SECRET


def test_empty_password_is_refused(tmp_path: Path) -> None:
    secret = imap_secret(tmp_path, 'password_env = "PW"')
    with pytest.raises(SecretError, match="the password is empty"):
        secret.reveal({"PW": ""})


def test_password_file_strips_one_trailing_newline(tmp_path: Path) -> None:
    (tmp_path / "pw").write_text(SECRET + "\n", encoding="utf-8")
    secret = imap_secret(tmp_path, 'password_file = "pw"')  # relative to the config file
    assert repr(secret) == f"Secret(source='file:{tmp_path / 'pw'}')"
    assert secret.reveal({}) == SECRET


def test_missing_password_file(tmp_path: Path) -> None:
    secret = imap_secret(tmp_path, f'password_file = "{tmp_path / "nope"}"')
    with pytest.raises(SecretError, match="does not exist"):
        secret.reveal({})


def test_password_command_as_list_and_as_string(tmp_path: Path) -> None:
    python = sys.executable
    as_list = imap_secret(tmp_path, f"password_command = ['{python}', '-c', 'print(\"{SECRET}\")']")
    assert as_list.reveal({}) == SECRET
    assert repr(as_list) == f"Secret(source='command:{python}')"
    as_string = imap_secret(tmp_path, f"password_command = '{python} -c \"print(1234)\"'")
    assert as_string.reveal({}) == "1234"


def test_failing_command_message_omits_its_output(tmp_path: Path) -> None:
    script = f"import sys; print('{SECRET}'); print('vault locked', file=sys.stderr); sys.exit(3)"
    secret = imap_secret(tmp_path, f'password_command = ["{sys.executable}", "-c", "{script}"]')
    with pytest.raises(SecretError) as caught:
        secret.reveal({})
    assert "exited with status 3: vault locked" in str(caught.value)
    assert SECRET not in str(caught.value)
    assert caught.value.__cause__ is None


def test_command_not_found(tmp_path: Path) -> None:
    secret = imap_secret(tmp_path, 'password_command = "no-such-program-ghostwatch"')
    with pytest.raises(SecretError, match="command 'no-such-program-ghostwatch' not found"):
        secret.reveal({})


def test_command_timeout() -> None:
    secret = Secret.from_command([sys.executable, "-c", "import time; time.sleep(5)"])
    with pytest.raises(SecretError, match=r"timed out after 0\.2 s"):
        secret.reveal({}, timeout_s=0.2)


def test_command_timeout_defaults_to_ten_seconds() -> None:
    assert inspect.signature(Secret.reveal).parameters["timeout_s"].default == 10.0


def test_two_sources_are_refused_naming_both(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, f'password = "{SECRET}"\npassword_env = "PW"')
    (problem,) = caught.value.problems
    assert problem.endswith(
        "accounts[0].imap.password_env: password and password_env are not compatible:"
        " give only one password source"
    )
    assert SECRET not in str(caught.value)


def test_three_sources_give_a_problem_for_each_extra_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, 'password_env = "PW"\npassword_file = "pw"\npassword_command = "x"')
    assert [p.split(": ", 1)[1] for p in caught.value.problems] == [
        "accounts[0].imap.password_file: password_env and password_file are not compatible:"
        " give only one password source",
        "accounts[0].imap.password_command: password_env and password_command are not"
        " compatible: give only one password source",
    ]


def test_systemd_credentials_when_no_source_is_given(tmp_path: Path) -> None:
    config = load(tmp_path)
    assert config.accounts[0].smtp is not None
    imap, smtp = config.accounts[0].imap.secret(), config.accounts[0].smtp.secret()
    assert repr(imap) == "Secret(source='credential:studio-imap')"
    assert repr(smtp) == "Secret(source='credential:studio-smtp')"
    creds = tmp_path / "creds"
    creds.mkdir()
    (creds / "studio-imap").write_text(SECRET, encoding="utf-8")
    (creds / "studio-smtp").write_text("other\n", encoding="utf-8")
    env = {"CREDENTIALS_DIRECTORY": str(creds)}
    assert (imap.reveal(env), smtp.reveal(env)) == (SECRET, "other")


def test_no_source_and_no_credentials_directory_says_what_to_do(tmp_path: Path) -> None:
    secret = load(tmp_path).accounts[0].imap.secret()
    with pytest.raises(SecretError) as caught:
        secret.reveal({})
    message = str(caught.value)
    assert "no password configured" in message
    assert "'studio-imap'" in message and "LoadCredential=studio-imap" in message


def test_credential_file_missing(tmp_path: Path) -> None:
    secret = load(tmp_path).accounts[0].imap.secret()
    with pytest.raises(SecretError, match="does not exist"):
        secret.reveal({"CREDENTIALS_DIRECTORY": str(tmp_path)})


def test_empty_username_means_no_login(tmp_path: Path) -> None:
    config = load(tmp_path, smtp='username = ""')
    assert config.accounts[0].smtp is not None
    assert config.accounts[0].smtp.username == ""


def test_secret_stays_out_of_dumps(tmp_path: Path) -> None:
    config = load(tmp_path, f'password = "{SECRET}"', f'password = "{SECRET}"')
    for shown in (repr(config), str(config), config.model_dump(), config.model_dump_json()):
        assert SECRET not in str(shown)
