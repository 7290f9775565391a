"""aiosmtplib adapter: send one message at a time and say exactly how a failure ended.

Invariants:
- Rule 1: the outcome of a send is one of three, decided by *where* it failed:
  * ``SendRetryable``: certainly not accepted. A connection error, timeout or 4xx
    before the content went out, or a 4xx as the final reply to the content.
  * ``SendRejected``: a 5xx to MAIL, RCPT (every recipient refused) or DATA; a message
    the server cannot take (a UTF-8 local part without SMTPUTF8, decided before MAIL);
    any other exception before the content went out.
  * ``SendTlsError``: the server's certificate failed verification (an account fault).
  * ``SendOutcomeUnknown``: the content went out and the final reply never came
    (disconnect or timeout). The server may have accepted it: never resend; the
    caller looks for the Message-ID in Sent.
  To tell these apart we drive MAIL / RCPT / DATA ourselves instead of calling
  ``sendmail``, which reports both halves of DATA as one exception.
- Rule 2: TLS is verified against the system store (or ``ca_file``); there is no
  downgrade from ``tls``/``starttls``; ``security="none"`` is refused unless the host
  is a loopback address.
- Rule 3: ``Bcc``/``Resent-Bcc`` become envelope recipients and never reach the wire.
  Envelope addresses are written with IDNA domains (``ghostwatch.core.mail.addresses``); a
  quoted local part stays quoted; SMTPUTF8 is used exactly when a local part needs it.
- Rule 4: the password (or, with ``auth = "xoauth2"``, the OAuth2 access token) is read
  from its callable only when logging in, afresh for every connection, and never
  appears in a repr, a log line or an exception message. A 5xx to AUTH (535: refused)
  is ``SendAuthError``; the login goes through the endpoint's ``gate`` when it has one
  (``ghostwatch.adapters.auth_backoff``: no new login before ``auth_retry`` after a refusal).
- Rule 5: one connection is reused for many sends (probed with NOOP before reuse and
  reopened if dropped). Retrying with backoff is the caller's job.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from types import TracebackType
from typing import Literal

import structlog
from aiosmtplib import SMTP, SMTPAuthenticationError, SMTPException, SMTPResponseException

from ghostwatch.adapters.auth_backoff import LoginGate
from ghostwatch.adapters.net import is_loopback, tls_context
from ghostwatch.adapters.smtp_wire import by_code, describe, envelope, transaction
from ghostwatch.errors import (
    ConfigError,
    SendAuthError,
    SendRetryable,
    SendTlsError,
    TransientError,
)

__all__ = ["SendReceipt", "SmtpEndpoint", "SmtpMailer", "is_transient"]

log = structlog.get_logger(__name__)

Security = Literal["tls", "starttls", "none"]
_QUIT_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class SmtpEndpoint:
    """Where and how to reach one account's SMTP server. Constructing it connects nothing.

    ``password`` is a callable so the secret is read only when needed and is never
    stored in a field that ``repr`` shows. Raise ``ConfigError`` for an unknown
    ``security`` or ``security="none"`` to a host that is not loopback.
    """

    host: str
    port: int
    security: Security
    username: str | None = None
    password: Callable[[], str] | None = field(default=None, repr=False, compare=False)
    timeout_s: float = 30.0
    ca_file: str | None = None
    local_hostname: str | None = None  # EHLO name; None = this host's FQDN
    auth: Literal["password", "xoauth2"] = "password"
    gate: LoginGate | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        where = f"smtp {self.host}:{self.port}"
        if self.security not in ("tls", "starttls", "none"):
            raise ConfigError([f"{where}: security must be tls, starttls or none"])
        if self.security == "none" and not is_loopback(self.host):
            raise ConfigError(
                [f"{where}: security = 'none' is refused unless the host is a loopback address"]
            )


@dataclass(frozen=True)
class SendReceipt:
    """The server accepted the message for ``accepted`` with final reply ``response``."""

    message_id: str
    accepted: tuple[str, ...]
    response: str


def is_transient(exc: BaseException) -> bool:
    """Return True if ``exc`` is worth retrying later (``SendRetryable`` and friends)."""
    return isinstance(exc, TransientError)


class SmtpMailer:
    """Sends messages over one reused SMTP connection (see the module invariants).

    ``async with SmtpMailer(endpoint) as mailer: await mailer.send(msg)``. The
    constructor never connects; the first ``send`` does. ``close`` (or leaving the
    ``async with``) says QUIT. Sends are serialised: one at a time per mailer.
    """

    def __init__(self, endpoint: SmtpEndpoint) -> None:
        self.endpoint = endpoint
        self._smtp: SMTP | None = None
        self._lock = asyncio.Lock()
        self.connections_opened = 0  # for health reporting and tests

    def __repr__(self) -> str:
        return f"SmtpMailer({self.endpoint!r})"

    async def __aenter__(self) -> SmtpMailer:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Say QUIT and close the connection, if one is open. Never raises."""
        smtp, self._smtp = self._smtp, None
        if smtp is None or not smtp.is_connected:
            return
        try:
            await smtp.quit(timeout=_QUIT_TIMEOUT_S)
        except (SMTPException, OSError):
            smtp.close()

    async def check_login(self) -> None:
        """Connect, greet, (STARTTLS,) log in and say QUIT: the login check of
        ``check-config --online``. Raise as ``send`` does before MAIL (``SendAuthError``
        for refused credentials, ``SendTlsError``, ``SendRetryable``, ``SendRejected``)."""
        async with self._lock:
            await self._connection()
        await self.close()

    async def send(self, msg: EmailMessage) -> SendReceipt:
        """Send ``msg`` to its To/Cc/Bcc recipients; return the receipt.

        Raise ``SendRetryable``, ``SendRejected``, ``SendTlsError`` or
        ``SendOutcomeUnknown`` per Rule 1 (no other exception escapes once connecting
        begins), and ``ValueError`` before connecting if ``msg`` has no Message-ID,
        sender or recipient, or an address is not a legal addr-spec. A partial
        success (some recipients refused) returns a receipt naming the accepted ones.
        """
        sender, recipients, data = envelope(msg)
        message_id = str(msg["Message-ID"])
        where = f"smtp {self.endpoint.host}"
        async with self._lock:
            smtp = await self._connection()
            try:
                message = (message_id, sender, recipients, data)
                accepted, final = await transaction(smtp, where, self.endpoint.timeout_s, message)
            finally:
                if not smtp.is_connected:
                    self._smtp = None  # the failure closed it: the next send opens a new one
        receipt = SendReceipt(message_id, tuple(accepted), f"{final.code} {final.message}")
        log.info(
            "smtp.sent",
            message_id=message_id,
            host=self.endpoint.host,
            accepted=len(receipt.accepted),
            refused=len(recipients) - len(receipt.accepted),
        )
        return receipt

    # --- connection -----------------------------------------------------------------

    async def _connection(self) -> SMTP:
        """Return a live, greeted, authenticated connection, reusing the last one if it
        still answers NOOP. Raise ``SendRetryable``/``SendRejected`` if none can be had."""
        smtp = self._smtp
        if smtp is not None and smtp.is_connected:
            try:
                await smtp.noop()
                return smtp
            except (SMTPException, OSError):
                smtp.close()
        self._smtp = None
        gate = self.endpoint.gate
        smtp = await (self._open() if gate is None else gate.login(self._open))
        self._smtp = smtp
        self.connections_opened += 1
        return smtp

    def _client(self) -> SMTP:
        ep = self.endpoint
        tls = tls_context(ep.ca_file) if ep.security != "none" else None
        return SMTP(
            hostname=ep.host,
            port=ep.port,
            local_hostname=ep.local_hostname,
            timeout=ep.timeout_s,
            use_tls=ep.security == "tls",
            start_tls=False,  # done explicitly below, so a missing STARTTLS is an error
            tls_context=tls,
        )

    async def _open(self) -> SMTP:
        smtp = self._client()
        try:
            await self._handshake(smtp)
        except BaseException:
            smtp.close()
            raise
        return smtp

    async def _handshake(self, smtp: SMTP) -> None:
        """Connect, greet, STARTTLS and log in, translating failures per Rule 1."""
        ep = self.endpoint
        where = f"{ep.host}:{ep.port}"
        try:
            await smtp.connect()
            await smtp.ehlo()
            if ep.security == "starttls":
                if not smtp.supports_extension("starttls"):
                    raise SendRetryable(f"smtp {where}: server does not offer STARTTLS")
                await smtp.starttls()
                await smtp.ehlo()
            if ep.username is not None:
                await self._login(smtp)
        except SMTPResponseException as exc:
            raise by_code(exc.code, f"smtp {where}: {exc.code} {exc.message}") from exc
        except (SMTPException, OSError, ssl.SSLError) as exc:
            if (bad_cert := _certificate_error(exc)) is not None:
                raise SendTlsError(
                    f"smtp {where}: TLS certificate verification failed: "
                    f"{bad_cert.verify_message or bad_cert.reason} (set ca_file for a private CA)"
                ) from exc
            raise SendRetryable(f"smtp {where}: cannot connect: {describe(exc)}") from exc

    async def _login(self, smtp: SMTP) -> None:
        ep = self.endpoint
        assert ep.username is not None
        secret = ep.password() if ep.password is not None else ""
        try:
            if ep.auth == "xoauth2":
                if "xoauth2" not in smtp.server_auth_methods:
                    raise SendAuthError(
                        f"SMTP {ep.host}:{ep.port} does not offer AUTH XOAUTH2 "
                        f"(it offers: {', '.join(smtp.server_auth_methods) or 'no AUTH'})"
                    )
                await smtp.auth_xoauth2(ep.username, secret)
            else:
                await smtp.login(ep.username, secret)
        except SMTPAuthenticationError as exc:
            # exc.message is the server's text; it never echoes our password or token
            said = " ".join(str(exc.message).split())
            text = f"SMTP {ep.host}:{ep.port}: login refused for {ep.username!r}: {exc.code} {said}"
            if 500 <= exc.code < 600:
                raise SendAuthError(text) from None
            raise SendRetryable(text) from None


def _certificate_error(exc: BaseException) -> ssl.SSLCertVerificationError | None:
    """The certificate verification failure behind ``exc`` (aiosmtplib wraps it), if any."""
    seen: BaseException | None = exc
    for _ in range(8):  # a short cause/context chain; never loop on a cycle
        if seen is None:
            return None
        if isinstance(seen, ssl.SSLCertVerificationError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None
