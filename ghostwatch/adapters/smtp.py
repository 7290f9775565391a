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
import copy
import re
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import getaddresses
from types import TracebackType
from typing import Literal

import structlog
from aiosmtplib import (
    SMTP,
    SMTPAuthenticationError,
    SMTPException,
    SMTPRecipientRefused,
    SMTPResponse,
    SMTPResponseException,
    SMTPServerDisconnected,
    SMTPTimeoutError,
)

from ghostwatch.adapters.auth_backoff import LoginGate
from ghostwatch.adapters.net import is_loopback, tls_context
from ghostwatch.core.mail.addresses import parse_address
from ghostwatch.errors import (
    ConfigError,
    SendAuthError,
    SendOutcomeUnknown,
    SendRejected,
    SendRetryable,
    SendTlsError,
    TransientError,
)

__all__ = ["SendReceipt", "SmtpEndpoint", "SmtpMailer", "is_transient"]

log = structlog.get_logger(__name__)

Security = Literal["tls", "starttls", "none"]
# Headers already in the message are written as they are (a parsed long References
# line must not be re-encoded); new ones are folded by their own header class.
_WIRE_POLICY = SMTP_POLICY.clone(refold_source="none")
_LINE_END = re.compile(rb"\r\n|\r|\n")
_LEADING_DOT = re.compile(rb"^\.", re.MULTILINE)
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


def _envelope(msg: EmailMessage) -> tuple[str, list[str], bytes]:
    """Return ``(sender, recipients, wire bytes)``, the addresses with IDNA domains (see
    ``addresses``); raise ``ValueError`` if the message has no Message-ID, no sender,
    no recipient, or an address that is not a legal addr-spec."""
    if not msg["Message-ID"]:
        raise ValueError("refusing to send a message without a Message-ID")
    senders = getaddresses([str(v) for v in msg.get_all("Sender", msg.get_all("From", []))])
    fields = ("To", "Cc", "Bcc", "Resent-To", "Resent-Cc", "Resent-Bcc")
    values = [str(v) for name in fields for v in msg.get_all(name, [])]
    found = [a for _, a in getaddresses(values) if a]
    recipients = list(dict.fromkeys(parse_address(a).addr_spec for a in found))
    if not senders or not senders[0][1] or not recipients:
        raise ValueError("a message needs a From address and at least one recipient")
    wire = copy.deepcopy(msg)
    del wire["Bcc"], wire["Resent-Bcc"]
    data = _LINE_END.sub(b"\r\n", wire.as_bytes(policy=_WIRE_POLICY))
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return parse_address(senders[0][1]).addr_spec, recipients, data


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
        sender, recipients, data = _envelope(msg)
        message_id = str(msg["Message-ID"])
        async with self._lock:
            smtp = await self._connection()
            receipt = await self._transaction(smtp, message_id, sender, recipients, data)
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
            raise _by_code(exc.code, f"smtp {where}: {exc.code} {exc.message}") from exc
        except (SMTPException, OSError, ssl.SSLError) as exc:
            if (bad_cert := _certificate_error(exc)) is not None:
                raise SendTlsError(
                    f"smtp {where}: TLS certificate verification failed: "
                    f"{bad_cert.verify_message or bad_cert.reason} (set ca_file for a private CA)"
                ) from exc
            raise SendRetryable(f"smtp {where}: cannot connect: {_describe(exc)}") from exc

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

    # --- one message ----------------------------------------------------------------

    async def _transaction(
        self, smtp: SMTP, message_id: str, sender: str, recipients: list[str], data: bytes
    ) -> SendReceipt:
        where = f"smtp {self.endpoint.host}"
        content_sent = False
        options = _mail_options(smtp, sender, recipients, data)  # SendRejected before MAIL
        encoding = "utf-8" if "SMTPUTF8" in options else "ascii"
        try:
            await smtp.mail(sender, options=options, encoding=encoding)
            accepted = await self._recipients(smtp, recipients, encoding)
            reply = await smtp.execute_command(b"DATA")
            if reply.code != 354:
                raise SMTPResponseException(reply.code, reply.message)
            content_sent = _write_content(smtp, data)
            final = await _final_reply(smtp, self.endpoint.timeout_s)
        except SMTPResponseException as exc:
            await self._reset(smtp)
            stage = "after the content" if content_sent else "before the content"
            raise _by_code(exc.code, f"{where}: {exc.code} {exc.message} ({stage})") from exc
        except (SMTPException, OSError) as exc:
            smtp.close()
            self._smtp = None
            if content_sent:
                raise SendOutcomeUnknown(
                    f"{where}: {_describe(exc)} after the message content was sent; "
                    f"look for {message_id} in Sent before sending again"
                ) from exc
            raise SendRetryable(f"{where}: {_describe(exc)} (nothing was sent)") from exc
        except Exception as exc:
            # Not a protocol fault (an address aiosmtplib cannot encode, a bug): say
            # exactly whether the content may have gone out (Rule 1), never let it escape.
            smtp.close()
            self._smtp = None
            if content_sent:
                raise SendOutcomeUnknown(
                    f"{where}: {_describe(exc)} after the message content was sent; "
                    f"look for {message_id} in Sent before sending again"
                ) from exc
            raise SendRejected(f"{where}: {_describe(exc)} (nothing was sent)") from exc
        return SendReceipt(message_id, tuple(accepted), f"{final.code} {final.message}")

    async def _recipients(self, smtp: SMTP, recipients: list[str], encoding: str) -> list[str]:
        """RCPT each recipient; return the accepted ones. If none is accepted, raise the
        refusal that decides: a 4xx (may pass) wins over a 5xx."""
        accepted: list[str] = []
        refusals: list[SMTPRecipientRefused] = []
        for rcpt in recipients:
            try:
                await smtp.rcpt(rcpt, encoding=encoding)
                accepted.append(rcpt)
            except SMTPRecipientRefused as exc:
                log.warning("smtp.recipient_refused", recipient=rcpt, code=exc.code)
                refusals.append(exc)
        if not accepted:
            raise min(refusals, key=lambda e: e.code)
        return accepted

    async def _reset(self, smtp: SMTP) -> None:
        """End a failed transaction so the connection can be reused; drop it otherwise."""
        if not smtp.is_connected:
            self._smtp = None
            return
        try:
            await smtp.rset()
        except (SMTPException, OSError):
            smtp.close()
            self._smtp = None


def _mail_options(smtp: SMTP, sender: str, recipients: list[str], data: bytes) -> list[str]:
    """MAIL FROM parameters: SMTPUTF8 for non-ASCII addresses or headers (RFC 6531/6532;
    domains are already IDNA, so only a local part can need it), BODY=8BITMIME for
    8-bit content. Raise ``SendRejected`` if the message needs one the server lacks:
    decided before MAIL, so nothing reaches RCPT or DATA."""
    options: list[str] = []
    non_ascii = [a for a in (sender, *recipients) if not a.isascii()]
    if non_ascii or not data.partition(b"\r\n\r\n")[0].isascii():
        if not smtp.supports_extension("smtputf8"):
            shown = ", ".join(non_ascii) or "the headers"
            raise SendRejected(
                f"{shown}: a non-ASCII address needs SMTPUTF8, which the server "
                f"{smtp.hostname} does not offer (nothing was sent)"
            )
        options.append("SMTPUTF8")
    if not data.isascii():
        if not smtp.supports_extension("8bitmime"):
            raise SendRejected("the message has 8-bit content and the server lacks 8BITMIME")
        options.append("BODY=8BITMIME")
    return options


def _write_content(smtp: SMTP, data: bytes) -> bool:
    """Write the dot-stuffed content and the terminating dot; return True once written.

    ``write`` only queues bytes, so once it returns the server may receive them all:
    from here on a lost connection means an unknown outcome.
    """
    if smtp.protocol is None:
        raise SMTPServerDisconnected("Connection lost")
    smtp.protocol.write(_LEADING_DOT.sub(b"..", data) + b".\r\n")
    return True


async def _final_reply(smtp: SMTP, timeout_s: float) -> SMTPResponse:
    """Return the final 2xx reply to the content; raise ``SMTPResponseException`` for
    any other code, ``SMTPServerDisconnected``/``SMTPTimeoutError`` if none arrives."""
    if smtp.protocol is None:
        raise SMTPServerDisconnected("Connection lost")
    reply = await smtp.protocol.read_response(timeout=timeout_s)
    if reply.code // 100 != 2:
        raise SMTPResponseException(reply.code, reply.message)
    return reply


def _by_code(code: int, text: str) -> SendRetryable | SendRejected:
    """5xx -> ``SendRejected``; anything else (4xx, odd codes) -> ``SendRetryable``."""
    return SendRejected(text) if 500 <= code < 600 else SendRetryable(text)


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


def _describe(exc: BaseException) -> str:
    if isinstance(exc, SMTPTimeoutError | TimeoutError):
        return f"timed out ({exc})"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
