"""The login backoff (ghostwatch.adapters.auth_backoff), with a fake clock and a fake connect.

The connect functions here stand for an adapter's connect-and-login: they count calls
and raise what the adapters raise. The real adapters go through it in
tests/integration/test_auth.py.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
import structlog

from ghostwatch.adapters.auth_backoff import AuthBackoff
from ghostwatch.adapters.net import connection_hint, login_hint, server_words
from ghostwatch.errors import MailboxAuthError, MailboxError, SendAuthError

T0 = datetime(2026, 12, 1, 3, 48, tzinfo=UTC)  # 07:48 in Tbilisi
RETRY = timedelta(minutes=15)
FAILED = "[AUTHENTICATIONFAILED] Authentication failed."


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


class Server:
    """Counts login attempts; refuses them while ``refuse`` is set."""

    def __init__(self, refuse: bool = True, error: type[Exception] = MailboxAuthError) -> None:
        self.refuse, self.error, self.attempts = refuse, error, 0

    async def connect(self) -> str:
        self.attempts += 1
        await asyncio.sleep(0)  # let a concurrent caller run meanwhile
        if self.refuse:
            raise self.error("IMAP imap.example.com:993: login refused for 'nino': failed")
        return "connection"


async def test_a_refusal_holds_every_login_until_auth_retry() -> None:
    clock, server = Clock(), Server()
    gate = AuthBackoff(clock).gate("studio", "imap", retry=RETRY, zone="Asia/Tbilisi")
    with pytest.raises(MailboxAuthError, match="login refused since 07:48"):
        await gate.login(server.connect)
    for minutes in (0, 1, 14):
        clock.now = T0 + timedelta(minutes=minutes, seconds=59)
        with pytest.raises(MailboxAuthError, match="next try 08:03") as caught:
            await gate.login(server.connect)
        assert caught.value.reported  # type: ignore[attr-defined]
    assert server.attempts == 1  # the server saw one attempt in those 15 minutes
    clock.now = T0 + RETRY
    server.refuse = False
    assert await gate.login(server.connect) == "connection"
    assert server.attempts == 2


async def test_gates_of_one_account_share_the_backoff_other_accounts_do_not() -> None:
    clock, server = Clock(), Server()
    logins = AuthBackoff(clock)
    cycle = logins.gate("studio", "imap", retry=RETRY)
    watcher = logins.gate("studio", "imap", retry=RETRY)
    with pytest.raises(MailboxAuthError):
        await cycle.login(server.connect)
    with pytest.raises(MailboxAuthError):
        await watcher.login(server.connect)
    assert server.attempts == 1
    other = Server(refuse=False)
    assert await logins.gate("personal", "imap", retry=RETRY).login(other.connect)
    assert await logins.gate("studio", "smtp", retry=RETRY).login(other.connect)
    assert logins.refusal("studio") is not None and logins.refusal("personal") is None


async def test_concurrent_logins_of_one_key_make_one_attempt() -> None:
    server = Server()
    logins = AuthBackoff(Clock())
    results = await asyncio.gather(
        *(logins.gate("studio", "imap", retry=RETRY).login(server.connect) for _ in range(3)),
        return_exceptions=True,
    )
    assert all(isinstance(r, MailboxAuthError) for r in results)
    assert server.attempts == 1


async def test_network_faults_do_not_count_as_refusals() -> None:
    server = Server(error=MailboxError)
    logins = AuthBackoff(Clock())
    gate = logins.gate("studio", "imap", retry=RETRY)
    for _ in range(3):
        with pytest.raises(MailboxError):
            await gate.login(server.connect)
    assert server.attempts == 3  # each one reaches the server; its own backoff applies
    assert logins.refusal("studio") is None


async def test_smtp_refusals_raise_send_auth_errors() -> None:
    server = Server(error=SendAuthError)
    gate = AuthBackoff(Clock()).gate("studio", "smtp", retry=RETRY)
    for _ in range(2):
        with pytest.raises(SendAuthError, match="login refused since"):
            await gate.login(server.connect)
    assert server.attempts == 1


async def test_a_refusal_is_logged_once_and_a_deferred_login_not_above_debug() -> None:
    structlog.reset_defaults()  # a CLI test may have left a warning-level filter behind
    clock, server = Clock(), Server()
    gate = AuthBackoff(clock).gate("studio", "imap", retry=RETRY, hint="check the password")
    with structlog.testing.capture_logs() as logs:
        for _ in range(3):
            with pytest.raises(MailboxAuthError):
                await gate.login(server.connect)
        clock.now = T0 + RETRY
        server.refuse = False
        await gate.login(server.connect)
    loud = [e for e in logs if e["log_level"] != "debug"]
    assert [e["event"] for e in loud] == ["auth.refused", "auth.accepted"]
    assert "\n" not in loud[0]["error"] and "check the password" in loud[0]["error"]


async def test_a_waiting_gate_sleeps_until_the_next_try_then_logs_in() -> None:
    clock, server = Clock(), Server()
    logins = AuthBackoff(clock)
    with pytest.raises(MailboxAuthError):
        await logins.gate("studio", "imap", retry=RETRY).login(server.connect)
    waiting = asyncio.create_task(
        logins.gate("studio", "imap", retry=RETRY, wait=True).login(server.connect)
    )
    await asyncio.sleep(0.05)
    assert not waiting.done() and server.attempts == 1  # the watcher waits, silently
    server.refuse = False
    clock.now = T0 + RETRY
    assert await asyncio.wait_for(waiting, timeout=10) == "connection"
    assert server.attempts == 2


def test_the_since_time_stays_that_of_the_first_refusal() -> None:
    clock, server = Clock(), Server()
    gate = AuthBackoff(clock).gate("studio", "imap", retry=RETRY, zone="Asia/Tbilisi")

    async def twice() -> str:
        with pytest.raises(MailboxAuthError):
            await gate.login(server.connect)
        clock.now = T0 + RETRY + timedelta(minutes=2)
        with pytest.raises(MailboxAuthError) as caught:
            await gate.login(server.connect)
        return str(caught.value)

    text = asyncio.run(twice())
    assert "since 07:48" in text and "next try 08:20" in text and server.attempts == 2


@pytest.mark.parametrize(
    ("reply", "words"),
    [
        ("b'[AUTHENTICATIONFAILED] Authentication failed.'", FAILED),
        ("[AUTHENTICATIONFAILED] Authentication failed.", FAILED),
        ('b"it\'s\\n wrong"', "it's\\n wrong"),
        ("  two\r\n lines ", "two lines"),
    ],
)  # fmt: skip
def test_server_words_have_no_python_repr(reply: str, words: str) -> None:
    assert server_words(reply) == words


@pytest.mark.parametrize(
    ("host", "auth", "expected"),
    [
        ("imap.gmail.com", "password", "Gmail wants an app password"),
        ("smtp.fastmail.com", "password", "Fastmail wants an app password"),
        ("imap.mail.me.com", "password", "iCloud wants an app password"),
        ("outlook.office365.com", "password", 'auth = "xoauth2"'),
        ("imap.example.com", "password", "check the password and the username"),
        ("outlook.office365.com", "xoauth2", "access token"),
        ("notgmail.com", "password", "check the password and the username"),
    ],
)
def test_login_hints_name_the_usual_cause(host: str, auth: str, expected: str) -> None:
    assert expected in login_hint(host, auth)


def test_a_server_saying_imap_is_off_gets_that_hint() -> None:
    reply = "[ALERT] Your account is not enabled for IMAP use."
    assert "IMAP access is turned off" in login_hint("imap.gmail.com", "password", reply)


@pytest.mark.parametrize(
    ("protocol", "security", "port", "error", "expected"),
    [
        ("smtp", "tls", 587, "SSLError: wrong version number", 'security = "starttls"'),
        ("imap", "starttls", 993, "timed out", 'security = "tls"'),
        ("imap", "tls", 993, "certificate verify failed", "ca_file"),
        ("imap", "tls", 993, "ConnectionRefusedError: Connection refused", "nothing listens"),
        ("smtp", "starttls", 587, "timed out (connect)", "no answer in time"),
    ],
)
def test_connection_hints_name_the_usual_cause(
    protocol: str, security: str, port: int, error: str, expected: str
) -> None:
    assert expected in connection_hint(protocol, security, port, error)


async def test_clear_forgets_refusals_so_a_reloaded_config_is_tried_at_once() -> None:
    server = Server()
    logins = AuthBackoff(Clock())
    with pytest.raises(MailboxAuthError):
        await logins.gate("studio", "imap", retry=RETRY).login(server.connect)
    logins.clear()
    server.refuse = False
    assert await logins.gate("studio", "imap", retry=RETRY).login(server.connect)
    assert server.attempts == 2
