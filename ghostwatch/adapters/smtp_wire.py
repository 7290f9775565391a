"""One message on an open SMTP connection: its envelope and its MAIL / RCPT / DATA
transaction, and how each failure ends (``adapters/smtp.py``'s Rules 1 and 3).

``envelope`` turns a message into ``(sender, recipients, wire bytes)``: ``Bcc`` and
``Resent-Bcc`` become envelope recipients and never reach the wire; addresses have
IDNA domains. ``transaction`` drives MAIL / RCPT / DATA itself (``sendmail`` reports
both halves of DATA as one exception) so a failure is ``SendRetryable`` (certainly not
accepted), ``SendRejected`` (refused, or never sendable) or ``SendOutcomeUnknown`` (the
content went out and the final reply never came: never resend). A failed transaction
leaves the connection reset for reuse, or closed (``is_connected`` False).
"""

from __future__ import annotations

import copy
import re
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import getaddresses

import structlog
from aiosmtplib import (
    SMTP,
    SMTPException,
    SMTPRecipientRefused,
    SMTPResponse,
    SMTPResponseException,
    SMTPServerDisconnected,
    SMTPTimeoutError,
)

from ghostwatch.core.mail.addresses import parse_address
from ghostwatch.errors import SendOutcomeUnknown, SendRejected, SendRetryable

__all__ = ["by_code", "describe", "envelope", "transaction"]

log = structlog.get_logger("ghostwatch.adapters.smtp")  # one logger name for the adapter

# Headers already in the message are written as they are (a parsed long References
# line must not be re-encoded); new ones are folded by their own header class.
_WIRE_POLICY = SMTP_POLICY.clone(refold_source="none")
_LINE_END = re.compile(rb"\r\n|\r|\n")
_LEADING_DOT = re.compile(rb"^\.", re.MULTILINE)


def envelope(msg: EmailMessage) -> tuple[str, list[str], bytes]:
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


async def transaction(
    smtp: SMTP,
    where: str,
    timeout_s: float,
    message: tuple[str, str, list[str], bytes],
) -> tuple[list[str], SMTPResponse]:
    """Send ``message`` (``(message_id, sender, recipients, wire bytes)``) on the open
    connection ``smtp``; return the accepted recipients and the final reply.

    Raise ``SendRejected`` before MAIL when the message needs an extension the server
    lacks; otherwise per the module docstring. ``where`` names the server in messages.
    """
    message_id, sender, recipients, data = message
    content_sent = False
    options = _mail_options(smtp, sender, recipients, data)  # SendRejected before MAIL
    encoding = "utf-8" if "SMTPUTF8" in options else "ascii"
    try:
        await smtp.mail(sender, options=options, encoding=encoding)
        accepted = await _recipients(smtp, recipients, encoding)
        reply = await smtp.execute_command(b"DATA")
        if reply.code != 354:
            raise SMTPResponseException(reply.code, reply.message)
        content_sent = _write_content(smtp, data)
        final = await _final_reply(smtp, timeout_s)
    except SMTPResponseException as exc:
        await _reset(smtp)
        stage = "after the content" if content_sent else "before the content"
        raise by_code(exc.code, f"{where}: {exc.code} {exc.message} ({stage})") from exc
    except (SMTPException, OSError) as exc:
        smtp.close()
        if content_sent:
            raise _unknown(where, exc, message_id) from exc
        raise SendRetryable(f"{where}: {describe(exc)} (nothing was sent)") from exc
    except Exception as exc:
        # Not a protocol fault (an address aiosmtplib cannot encode, a bug): say
        # exactly whether the content may have gone out (Rule 1), never let it escape.
        smtp.close()
        if content_sent:
            raise _unknown(where, exc, message_id) from exc
        raise SendRejected(f"{where}: {describe(exc)} (nothing was sent)") from exc
    return accepted, final


def _unknown(where: str, exc: BaseException, message_id: str) -> SendOutcomeUnknown:
    return SendOutcomeUnknown(
        f"{where}: {describe(exc)} after the message content was sent; "
        f"look for {message_id} in Sent before sending again"
    )


async def _recipients(smtp: SMTP, recipients: list[str], encoding: str) -> list[str]:
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


async def _reset(smtp: SMTP) -> None:
    """End a failed transaction so the connection can be reused; close it otherwise."""
    if not smtp.is_connected:
        return
    try:
        await smtp.rset()
    except (SMTPException, OSError):
        smtp.close()


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


def by_code(code: int, text: str) -> SendRetryable | SendRejected:
    """5xx -> ``SendRejected``; anything else (4xx, odd codes) -> ``SendRetryable``."""
    return SendRejected(text) if 500 <= code < 600 else SendRetryable(text)


def describe(exc: BaseException) -> str:
    if isinstance(exc, SMTPTimeoutError | TimeoutError):
        return f"timed out ({exc})"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
