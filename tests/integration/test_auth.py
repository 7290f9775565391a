"""Logins against the real servers: XOAUTH2 with a token from password_command (Dovecot's
oauth2 passdb; an aiosmtpd server speaking XOAUTH2), ``check-config --online``, and a
refused password under ``ghostwatch run``, counted in Dovecot's own log."""

from __future__ import annotations

import json
import signal
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from ghostwatch.adapters.imap import ImapMailbox
from ghostwatch.adapters.smtp import SmtpMailer
from ghostwatch.app.endpoints import imap_endpoint, smtp_endpoint
from ghostwatch.cli import entry as cli
from ghostwatch.config.loader import AccountConfig, parse_config
from ghostwatch.core.domain import FolderRole
from ghostwatch.errors import MailboxAuthError, SendAuthError
from tests.integration.test_service import Daemon
from tests.support.dovecot import DovecotServer, ImapAccount
from tests.support.oauth_smtpd import OAuthSmtpServer
from tests.support.scenario import Scenario
from tests.support.smtpd import SmtpTestServer

NOW = datetime(2026, 12, 1, 7, 48, tzinfo=UTC)
# The token command: prints the token file's text, as `oama access` prints a token.
PRINT_FILE = "import sys; print(open(sys.argv[1]).read().strip())"


def _account(text: str) -> AccountConfig:
    import tomllib

    return parse_config(tomllib.loads(textwrap.dedent(text))).accounts[0]


def xoauth2_account(imap: ImapAccount, token_file: Path, smtp_port: int = 0) -> AccountConfig:
    command = json.dumps([sys.executable, "-c", PRINT_FILE, str(token_file)])
    smtp = f"""
        [accounts.smtp]
        host = "127.0.0.1"
        port = {smtp_port}
        security = "none"
        username = "{imap.user}"
        auth = "xoauth2"
        password_command = {command}
        """
    return _account(
        f"""
        [[accounts]]
        name = "studio"
        address = "me@studio.example"
        timezone = "Asia/Tbilisi"
        mode = "{"send" if smtp_port else "draft"}"

        [accounts.imap]
        host = "{imap.host}"
        port = {imap.port}
        security = "none"
        username = "{imap.user}"
        auth = "xoauth2"
        password_command = {command}
        {smtp if smtp_port else ""}
        [summary]
        enabled = {"true" if smtp_port else "false"}
        """
    )


async def test_xoauth2_imap_login_reads_a_fresh_token_for_every_connection(
    imap_server: ImapAccount, dovecot_server: DovecotServer, tmp_path: Path
) -> None:
    token_file = tmp_path / "token"
    first = dovecot_server.issue_token(imap_server.user)
    token_file.write_text(first + "\n")
    account = xoauth2_account(imap_server, token_file)
    async with ImapMailbox(imap_endpoint(account)) as mailbox:
        assert (await mailbox.special_folders())[FolderRole.SENT] == "Sent"
    # the token rotates (as oama refreshes it): the next connection runs the command again
    dovecot_server.revoke_token(first)
    token_file.write_text(dovecot_server.issue_token(imap_server.user) + "\n")
    async with ImapMailbox(imap_endpoint(account)) as mailbox:
        await mailbox.noop()
    # a revoked token is refused like a wrong password, in plain words
    dovecot_server.revoke_token(token_file.read_text().strip())
    with pytest.raises(MailboxAuthError, match="login refused") as caught:
        async with ImapMailbox(imap_endpoint(account)):
            pass
    assert "b'" not in str(caught.value) and "gwtok-" not in str(caught.value)


def _message() -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "me@studio.example"
    msg["To"] = "jane@acme.example"
    msg["Subject"] = "Checking in"
    msg["Message-ID"] = "<oauth-1@studio.example>"
    msg.set_content("Hello.\n")
    return msg


@pytest.fixture
def oauth_smtp(dovecot_server: DovecotServer) -> Iterator[OAuthSmtpServer]:
    def valid(user: str, token: str) -> bool:
        return dovecot_server.oauth.introspect(token).get("username") == user

    server = OAuthSmtpServer(valid).start()
    yield server
    server.stop()


async def test_xoauth2_smtp_login_sends_and_a_revoked_token_is_refused(
    imap_server: ImapAccount,
    dovecot_server: DovecotServer,
    oauth_smtp: OAuthSmtpServer,
    tmp_path: Path,
) -> None:
    token_file = tmp_path / "token"
    token = dovecot_server.issue_token(imap_server.user)
    token_file.write_text(token)
    account = xoauth2_account(imap_server, token_file, oauth_smtp.port)
    async with SmtpMailer(smtp_endpoint(account)) as mailer:
        await mailer.send(_message())
    assert len(oauth_smtp.messages) == 1
    dovecot_server.revoke_token(token)
    async with SmtpMailer(smtp_endpoint(account)) as mailer:
        with pytest.raises(SendAuthError, match=r"login refused .* 535") as caught:
            await mailer.send(_message())
    assert token not in str(caught.value)
    assert oauth_smtp.logins == [(imap_server.user, True), (imap_server.user, False)]
    assert len(oauth_smtp.messages) == 1


# --- check-config --online -----------------------------------------------------------------


@dataclass
class Edited(Scenario):
    """A Scenario whose config file gets some text replaced after it is written."""

    replace: tuple[tuple[str, str], ...] = ()

    def write(self) -> Path:
        path = super().write()
        text = path.read_text(encoding="utf-8")
        for old, new in self.replace:
            assert old in text, old
            text = text.replace(old, new)
        path.write_text(text, encoding="utf-8")
        return path


def edited(scenario: Scenario, *replace: tuple[str, str], extra: str = "") -> Edited:
    fields = {k: v for k, v in vars(scenario).items() if k != "runs"}
    if extra:
        fields["account_extra"] = extra
    return Edited(**fields, replace=replace)


def online(s: Scenario, capsys: Any) -> tuple[int, list[str]]:
    capsys.readouterr()
    code = cli.main(s.argv("check-config", "--online"))
    return code, capsys.readouterr().out.splitlines()  # the checks; logs go to stderr


def test_check_config_online_passes_with_the_right_password(
    scenario: Scenario, capsys: Any
) -> None:
    code, lines = online(scenario, capsys)
    assert code == 0, lines
    assert any(line.startswith("studio: IMAP 127.0.0.1:") and "OK" in line for line in lines)
    assert "studio: Sent folder: OK: 'Sent' (SPECIAL-USE)" in lines
    assert any(line.startswith("studio: SMTP 127.0.0.1:") and ": OK" in line for line in lines)


def test_check_config_online_names_the_account_server_and_hint_of_a_wrong_password(
    scenario: Scenario, capsys: Any, dovecot_server: DovecotServer
) -> None:
    wrong = edited(scenario, ('password = "secret"', 'password = "not-it"'))
    code, lines = online(wrong, capsys)
    assert code == 1
    failed = [line for line in lines if "FAILED" in line]
    assert len(failed) == 1, lines
    line = failed[0]
    assert line.startswith(f"studio: IMAP 127.0.0.1:{scenario.imap_port} (none) login as")
    assert "Authentication failed." in line and "b'" not in line
    assert line.endswith("— check the password and the username")
    assert "not-it" not in "\n".join(lines)


def test_check_config_online_reports_a_refused_smtp_login(
    scenario: Scenario, capsys: Any, smtp_server_factory: Callable[..., SmtpTestServer]
) -> None:
    smtp = smtp_server_factory(username="nino", password="right-one")
    wrong = edited(
        scenario,
        (f"port = {scenario.smtp_port}", f"port = {smtp.port}"),
        ('username = ""', 'username = "nino"\npassword = "wrong-one"'),
    )
    code, lines = online(wrong, capsys)
    assert code == 1
    failed = [line for line in lines if "FAILED" in line]
    assert len(failed) == 1 and failed[0].startswith(f"studio: SMTP 127.0.0.1:{smtp.port}")
    assert "535" in failed[0] and "check the password" in failed[0]


# --- a refused password under `run` ---------------------------------------------------------


def test_run_makes_at_most_two_logins_with_a_wrong_password_and_status_check_fails(
    scenario: Scenario, capsys: Any, dovecot_server: DovecotServer
) -> None:
    wrong = edited(
        scenario, ('password = "secret"', 'password = "not-it"'), extra='auth_retry = "10m"'
    )
    user = scenario.imap_user
    daemon = Daemon(wrong, NOW)
    try:
        daemon.wait_for("auth.refused", timeout=30)
        # the watcher and the cycle both want to log in, and the cycle retries on its
        # capped backoff (1, 2, 4 ... 30 s): only the login backoff holds them all back
        time.sleep(20)
        attempts = dovecot_server.failed_logins(user)
        refused = daemon.named("auth.refused")
        daemon.signal(signal.SIGTERM)
        assert daemon.wait(15) == 0
    finally:
        daemon.close()
    # the issue's bound is 2 in 10 minutes; the cycle and the watcher share one login
    # in flight, so the server sees exactly one
    assert attempts == 1, dovecot_server.log_tail(40)
    assert len(refused) == attempts  # one log line per attempt, never one per retry
    assert "b'" not in refused[0]["error"] and "check the password" in refused[0]["error"]
    assert not [e for e in daemon.events if e.get("event") == "watch.reconnecting"]
    capsys.readouterr()
    assert cli.main(wrong.argv("status", "--check")) == 1
    captured = capsys.readouterr()
    assert "check: account studio: " in captured.err and "failing" in captured.err
    assert "login refused since" in captured.out


def test_a_refused_login_is_one_plain_line_in_once_status_and_the_summary(
    scenario: Scenario, capsys: Any, tmp_path: Path
) -> None:
    wrong = edited(scenario, ('password = "secret"', 'password = "not-it"'))
    capsys.readouterr()
    assert wrong.once(NOW) == 1
    out = capsys.readouterr().out
    failed = [line for line in out.splitlines() if "FAILED" in line]
    assert len(failed) == 1 and failed[0].startswith("studio: FAILED: login refused since ")
    assert "b'" not in out and "MailboxAuthError" not in out
    html = tmp_path / "summary.html"
    assert wrong.run("summary", "--out", str(html), "--now", NOW.isoformat()) == 0
    text = html.read_text(encoding="utf-8")
    assert "login refused since" in text and "check the password" in text


def test_check_config_online_hints_at_ca_file_for_a_certificate_it_cannot_verify(
    scenario: Scenario, capsys: Any, dovecot_server: DovecotServer
) -> None:
    if dovecot_server.tls_port is None:
        pytest.skip("the rig has no TLS port (no openssl)")
    tls = edited(
        scenario,
        (
            f'port = {scenario.imap_port}\nsecurity = "none"',
            f'port = {dovecot_server.tls_port}\nsecurity = "tls"',
        ),
    )
    code, lines = online(tls, capsys)
    assert code == 1
    (line,) = [line for line in lines if "FAILED" in line]
    assert line.startswith(f"studio: IMAP 127.0.0.1:{dovecot_server.tls_port} (tls) login")
    assert "certificate" in line and "set ca_file" in line
    fixed = edited(
        scenario,
        (
            f'port = {scenario.imap_port}\nsecurity = "none"',
            f'port = {dovecot_server.tls_port}\nsecurity = "tls"\n'
            f'ca_file = "{dovecot_server.ca_file}"',
        ),
    )
    assert online(fixed, capsys)[0] == 0
