"""Fixtures: a real aiosmtpd SMTP server on loopback, recording what it receives.

``smtp_server`` (function-scoped) is a running ``SmtpTestServer`` on 127.0.0.1 and a free
port, no TLS, no AUTH. ``smtp_server_factory(username=..., password=...)`` starts more
(e.g. one requiring AUTH without TLS, which aiosmtpd allows on loopback only with
``auth_require_tls=False``). The server runs in its own thread (aiosmtpd's
``Controller``), so it works the same from sync and async tests.

Fault injection, each consumed by the next matching event:
- ``fail_next(code=451, stage="MAIL"|"RCPT"|"DATA")``: answer that command with
  ``code``; ``DATA`` means the final reply after the content (the content is received
  but not recorded in ``messages``).
- ``drop_after_data_next()``: receive the content, record it, then close the connection
  without replying: the client cannot know whether it was accepted.
- ``delay_next(seconds, stage="DATA")``: wait before answering that command. A message
  held at DATA is recorded at once (the server has it; only its reply is late).
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import ssl
import threading
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

STAGES = ("MAIL", "RCPT", "DATA")


@dataclass(frozen=True)
class Received:
    """One message the server accepted (or received before dropping the connection)."""

    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    message: EmailMessage

    # tuple-like access: ``mail_from, rcpt_tos, raw, message = server.messages[0]``
    def __iter__(self) -> Iterator[Any]:
        return iter((self.mail_from, self.rcpt_tos, self.raw, self.message))


@dataclass
class _Faults:
    lock: threading.Lock = field(default_factory=threading.Lock)
    fail: dict[str, list[int]] = field(default_factory=lambda: {s: [] for s in STAGES})
    delay: dict[str, list[float]] = field(default_factory=lambda: {s: [] for s in STAGES})
    drop_after_data: int = 0

    def take_fail(self, stage: str) -> int | None:
        with self.lock:
            return self.fail[stage].pop(0) if self.fail[stage] else None

    def take_delay(self, stage: str) -> float:
        with self.lock:
            return self.delay[stage].pop(0) if self.delay[stage] else 0.0

    def take_drop(self) -> bool:
        with self.lock:
            if self.drop_after_data:
                self.drop_after_data -= 1
                return True
            return False


_REPLIES = {
    421: "421 4.3.2 Service shutting down",
    450: "450 4.2.0 Mailbox unavailable, try later",
    451: "451 4.3.0 Temporary local problem, try later",
    452: "452 4.3.1 Insufficient storage",
    550: "550 5.1.1 Mailbox unavailable",
    552: "552 5.3.4 Message too big",
    554: "554 5.7.1 Rejected",
}


class _Handler:
    """aiosmtpd handler hooks: fault injection first, then record."""

    def __init__(self, server: SmtpTestServer) -> None:
        self.server = server

    async def _fault(self, stage: str) -> str | None:
        faults = self.server.faults
        if delay := faults.take_delay(stage):
            await asyncio.sleep(delay)
        code = faults.take_fail(stage)
        return _REPLIES.get(code, f"{code} Injected failure") if code is not None else None

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if (reply := await self._fault("MAIL")) is not None:
            return reply
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        self.server.rcpts_seen.append(address)
        if (reply := await self._fault("RCPT")) is not None:
            return reply
        if address in self.server.refuse:
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.server.faults.take_drop():
            self.server.record(envelope)
            transport = server.transport
            assert isinstance(transport, asyncio.Transport)
            transport.abort()  # no reply: the client cannot know the outcome
            await asyncio.sleep(3600)  # never answers; cancelled when the server stops
        faults = self.server.faults
        delay, code = faults.take_delay("DATA"), faults.take_fail("DATA")
        if code is None:
            # accepted: on record at once, even while the final reply is held back
            self.server.record(envelope)
        await asyncio.sleep(delay)
        if code is not None:
            return _REPLIES.get(code, f"{code} Injected failure")
        return "250 2.0.0 OK queued"


class _Authenticator:
    def __init__(self, username: str, password: str) -> None:
        self.username, self.password = username.encode(), password.encode()

    def __call__(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        ok = (
            isinstance(data, LoginPassword)
            and data.login == self.username
            and data.password == self.password
        )
        return AuthResult(success=ok, handled=False)


class _Controller(Controller):
    """aiosmtpd's threaded controller, on port 0 (it probes self.port once it is up)."""

    def _trigger_server(self) -> None:
        assert isinstance(self.server, asyncio.Server)
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()  # type: ignore[no-untyped-call]

    connections = 0  # one SMTP protocol instance per accepted connection

    def factory(self) -> SMTP:
        self.connections += 1
        with warnings.catch_warnings():
            # "Requiring AUTH while not requiring TLS": intended, on loopback only
            warnings.simplefilter("ignore", UserWarning)
            smtp: SMTP = super().factory()  # type: ignore[no-untyped-call]
            return smtp


class SmtpTestServer:
    """A running aiosmtpd server with a recording handler; see the module docstring."""

    def __init__(
        self,
        username: str | None = None,
        password: str | None = None,
        *,
        smtputf8: bool = False,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.messages: list[Received] = []
        self.refuse: set[str] = set()  # recipient addresses answered with 550
        self.rcpts_seen: list[str] = []  # every RCPT TO address, accepted or not
        self.faults = _Faults()
        self._baseline = 0
        self.host = "127.0.0.1"
        self.username, self.password = username, password
        auth: dict[str, Any] = {}
        if username is not None and password is not None:
            auth = {
                "authenticator": _Authenticator(username, password),
                "auth_required": True,
                "auth_require_tls": False,
            }
        self._controller = _Controller(
            _Handler(self),
            hostname=self.host,
            port=0,
            ready_timeout=10,
            ssl_context=tls,  # implicit TLS (port 465 style) when given
            enable_SMTPUTF8=smtputf8,
            **auth,
        )

    @property
    def port(self) -> int:
        return int(self._controller.port)

    @property
    def connections(self) -> int:
        """Connections accepted since ``start`` (the controller's own probe excluded)."""
        return int(self._controller.connections) - self._baseline

    def start(self) -> SmtpTestServer:
        self._controller.start()
        self._baseline = self._controller.connections
        return self

    def stop(self) -> None:
        self._controller.stop()

    def record(self, envelope: Envelope) -> None:
        raw = bytes(envelope.original_content or b"")
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(
            Received(str(envelope.mail_from), list(envelope.rcpt_tos), raw, parsed)
        )

    # --- fault injection -----------------------------------------------------------

    def fail_next(self, code: int = 451, stage: str = "MAIL") -> None:
        """Answer the next ``stage`` command with ``code`` (DATA = the final reply)."""
        if stage not in STAGES:
            raise ValueError(f"stage must be one of {STAGES}")
        with self.faults.lock:
            self.faults.fail[stage].append(code)

    def drop_after_data_next(self) -> None:
        """Receive (and record) the next message's content, then hang up without a reply."""
        with self.faults.lock:
            self.faults.drop_after_data += 1

    def delay_next(self, seconds: float, stage: str = "DATA") -> None:
        """Wait ``seconds`` before answering the next ``stage`` command."""
        if stage not in STAGES:
            raise ValueError(f"stage must be one of {STAGES}")
        with self.faults.lock:
            self.faults.delay[stage].append(seconds)


@pytest.fixture
def smtp_server_factory() -> Iterator[Callable[..., SmtpTestServer]]:
    """Start ``SmtpTestServer(username=..., password=..., smtputf8=..., tls=...)``
    servers (``smtputf8``: offer SMTPUTF8; ``tls``: a server context for implicit TLS);
    all stop at teardown."""
    started: list[SmtpTestServer] = []

    def start(
        username: str | None = None,
        password: str | None = None,
        *,
        smtputf8: bool = False,
        tls: ssl.SSLContext | None = None,
    ) -> SmtpTestServer:
        server = SmtpTestServer(username, password, smtputf8=smtputf8, tls=tls).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def smtp_server(smtp_server_factory: Callable[..., SmtpTestServer]) -> SmtpTestServer:
    """A running SMTP server on 127.0.0.1 (no TLS, no AUTH) that records every message."""
    return smtp_server_factory()
