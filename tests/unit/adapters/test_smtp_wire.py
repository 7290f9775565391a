"""``ghostwatch.adapters.smtp_wire``'s pure parts: a message's envelope, and what a
failure means.

Proves: ``envelope`` takes the sender from ``Sender`` (else ``From``) and every
recipient field once, in order, with IDNA domains; ``Bcc`` and ``Resent-Bcc`` become
envelope recipients but never reach the wire (and the caller's message keeps them);
the wire bytes end every line in CRLF; a message without a Message-ID, a sender or a
recipient, or with an address that is no legal addr-spec, is refused with
``ValueError`` before anything is sent. ``by_code`` makes a 5xx a rejection and
anything else retryable; ``describe`` names a failure in one line. ``transaction``
needs a server: tests/integration/test_smtp*.py drive it.
"""

from __future__ import annotations

import re
from email.message import EmailMessage

import pytest
from aiosmtplib import SMTPServerDisconnected, SMTPTimeoutError

from ghostwatch.adapters.smtp_wire import by_code, describe, envelope
from ghostwatch.errors import SendRejected, SendRetryable


def message(
    body: str = "Hello Jane,\n.a line starting with a dot\n", **headers: str
) -> EmailMessage:
    """A message with ``headers`` (``Resent_Bcc`` for ``Resent-Bcc``); Message-ID,
    From and To unless given (an empty value leaves the header out)."""
    fields = {"Message_ID": "<n1@studio.example>", "From": "me@studio.example"}
    fields |= {"To": "jane@acme.example"} | headers
    msg = EmailMessage()
    for name, value in fields.items():
        if value:
            msg[name.replace("_", "-")] = value
    msg.set_content(body)
    return msg


def test_every_recipient_field_is_in_the_envelope_once_in_order() -> None:
    sender, recipients, _ = envelope(
        message(
            To="Jane <jane@acme.example>, bob@acme.example",
            Cc="jane@acme.example, giorgi@დიზაინი.გე",
            Bcc="me@studio.example",
            Resent_To="ops@acme.example",
            Resent_Cc="bob@acme.example",
            Resent_Bcc="archive@studio.example",
        )
    )
    assert sender == "me@studio.example"
    assert recipients == [
        "jane@acme.example",
        "bob@acme.example",
        "giorgi@xn--lodfjhca1a.xn--node",  # IDNA A-labels
        "me@studio.example",
        "ops@acme.example",
        "archive@studio.example",
    ]


@pytest.mark.parametrize(
    ("headers", "sender"),
    [
        ({"From": "Me <me@studio.example>"}, "me@studio.example"),
        ({"Sender": "bot@studio.example"}, "bot@studio.example"),  # Sender wins
        ({"From": "me@დიზაინი.გე"}, "me@xn--lodfjhca1a.xn--node"),
    ],
)
def test_the_sender_is_sender_else_from(headers: dict[str, str], sender: str) -> None:
    assert envelope(message(**headers))[0] == sender


def test_blind_copies_never_reach_the_wire_and_the_callers_message_keeps_them() -> None:
    msg = message(Bcc="secret@studio.example", Resent_Bcc="hidden@studio.example")
    _, recipients, wire = envelope(msg)
    assert {"secret@studio.example", "hidden@studio.example"} <= set(recipients)
    assert b"secret@" not in wire and b"hidden@" not in wire
    assert not re.search(rb"^(Resent-)?Bcc:", wire, re.MULTILINE | re.IGNORECASE)
    assert msg["Bcc"] == "secret@studio.example"
    assert msg["Resent-Bcc"] == "hidden@studio.example"


@pytest.mark.parametrize("body", ["one\ntwo\n", "one\r\ntwo", "no newline at all"])
def test_the_wire_bytes_end_every_line_in_crlf(body: str) -> None:
    wire = envelope(message(body))[2]
    assert wire.endswith(b"\r\n")
    assert b"\n" not in wire.replace(b"\r\n", b"")
    assert b"\r" not in wire.replace(b"\r\n", b"")


@pytest.mark.parametrize(
    ("headers", "refusal"),
    [
        ({"Message_ID": ""}, "without a Message-ID"),
        ({"From": ""}, "needs a From address"),
        ({"To": ""}, "at least one recipient"),
        ({"To": "undisclosed-recipients:;"}, "at least one recipient"),
        ({"To": "jane..doe@acme.example"}, "not a valid local part"),
        ({"Cc": "jane@-acme.example"}, "is not a domain name"),
        ({"From": ".me@studio.example"}, "not a valid local part"),
        ({"To": "x" * 65 + "@acme.example"}, "1 to 64 bytes"),
    ],
)
def test_a_message_that_cannot_be_sent_is_refused(headers: dict[str, str], refusal: str) -> None:
    with pytest.raises(ValueError, match=refusal):
        envelope(message(**headers))


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        (500, SendRejected),
        (550, SendRejected),
        (599, SendRejected),
        (421, SendRetryable),
        (451, SendRetryable),
        (499, SendRetryable),
        (600, SendRetryable),  # odd codes may pass later
        (-1, SendRetryable),  # aiosmtplib's "no code"
    ],
)
def test_only_a_5xx_is_a_rejection(code: int, kind: type[Exception]) -> None:
    error = by_code(code, f"smtp.example: {code} no")
    assert type(error) is kind
    assert str(error) == f"smtp.example: {code} no"


@pytest.mark.parametrize(
    ("exc", "words"),
    [
        (TimeoutError("connect"), "timed out (connect)"),
        (SMTPTimeoutError("no reply"), "timed out (no reply)"),
        (SMTPServerDisconnected("Connection lost"), "SMTPServerDisconnected: Connection lost"),
        (ConnectionResetError(), "ConnectionResetError"),
    ],
)
def test_a_failure_is_described_in_one_line(exc: BaseException, words: str) -> None:
    assert describe(exc) == words
