"""Every legal recipient address is sent correctly or fails alone, before RCPT.

Real aiosmtpd on loopback, with SMTPUTF8 offered and not; the message is rendered by
``render_nudge`` and stored and parsed back exactly as the outbox does.
"""

from __future__ import annotations

import email
from dataclasses import replace
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from typing import Any

import pytest

from ghostwatch.adapters.smtp import SmtpEndpoint, SmtpMailer
from ghostwatch.core.render import render_nudge
from ghostwatch.errors import SendRejected
from tests.support.smtpd import SmtpTestServer
from tests.unit.core.test_render import ACCOUNT, CLIENT, DECISION, MSG_ID, NOW, TEMPLATES

GEORGIAN_DOMAIN_ACE = "xn--lodfjhca1a.xn--node"  # დიზაინი.გე


def stored_nudge(to_addr: str) -> EmailMessage:
    """The nudge as the outbox sends it: rendered, stored as bytes, parsed back."""
    decision = replace(DECISION, to_addr=to_addr)
    raw = render_nudge(decision, CLIENT, ACCOUNT, TEMPLATES, message_id=MSG_ID, now=NOW).as_bytes()
    parsed = email.message_from_bytes(raw, policy=SMTP_POLICY)
    assert isinstance(parsed, EmailMessage)
    return parsed


async def send(server: SmtpTestServer, msg: EmailMessage) -> None:
    ep = SmtpEndpoint(server.host, server.port, "none", timeout_s=5.0, local_hostname="test")
    async with SmtpMailer(ep) as mailer:
        await mailer.send(msg)


@pytest.fixture(params=[False, True], ids=["plain", "smtputf8"])
def server(request: Any, smtp_server_factory: Any) -> SmtpTestServer:
    started: SmtpTestServer = smtp_server_factory(smtputf8=request.param)
    return started


@pytest.mark.parametrize(
    ("to_addr", "envelope", "header"),
    [
        ('"jane doe"@acme.example', '"jane doe"@acme.example', '"jane doe"@acme.example'),
        ('"jane\\"s desk"@acme.example', '"jane\\"s desk"@acme.example', None),
        ("giorgi@დიზაინი.გე", f"giorgi@{GEORGIAN_DOMAIN_ACE}", f"giorgi@{GEORGIAN_DOMAIN_ACE}"),
        ("Jane@Acme.Example", "Jane@Acme.Example", "Jane@Acme.Example"),
    ],
)
async def test_an_unusual_ascii_recipient_arrives_on_any_server(
    server: SmtpTestServer, to_addr: str, envelope: str, header: str | None
) -> None:
    await send(server, stored_nudge(to_addr))
    [got] = server.messages
    assert got.rcpt_tos == [envelope]
    assert got.raw.split(b"\r\n\r\n")[0].isascii()  # no SMTPUTF8 needed for these
    assert b"=?" not in got.raw.split(b"\r\nTo:")[1].split(b"\r\n")[0]
    if header is not None:
        assert got.message["To"].addresses[0].addr_spec == header


async def test_a_utf8_local_part_arrives_where_smtputf8_is_offered(
    smtp_server_factory: Any,
) -> None:
    server: SmtpTestServer = smtp_server_factory(smtputf8=True)
    await send(server, stored_nudge("жанна@დიზაინი.გე"))
    [got] = server.messages
    assert got.rcpt_tos == [f"жанна@{GEORGIAN_DOMAIN_ACE}"]
    to_line = got.raw.split(b"\r\nTo: ")[1].split(b"\r\n")[0].decode()
    assert to_line == f"жанна@{GEORGIAN_DOMAIN_ACE}"  # RFC 6532 UTF-8, not =?utf-8?...
    assert got.message["Subject"] == "Re: Logo drafts"
    assert "Jane" in got.message.get_body(("plain",)).get_content()  # type: ignore[union-attr]


async def test_a_utf8_local_part_without_smtputf8_fails_before_rcpt(
    smtp_server_factory: Any,
) -> None:
    server: SmtpTestServer = smtp_server_factory(smtputf8=False)
    with pytest.raises(SendRejected, match="SMTPUTF8") as caught:
        await send(server, stored_nudge("жанна@acme.example"))
    assert "жанна@acme.example" in str(caught.value)
    assert "nothing was sent" in str(caught.value)
    assert server.rcpts_seen == []  # refused before RCPT (so never an unknown outcome)
    assert server.messages == []
    # and the connection is still good for the next nudge
    await send(server, stored_nudge("jane@acme.example"))
    assert [m.rcpt_tos for m in server.messages] == [["jane@acme.example"]]


def test_an_address_that_is_not_legal_fails_at_render() -> None:
    for bad in ("jane doe@acme.example", "jane@acme..example", "jane@", "jane@-acme.example"):
        with pytest.raises(ValueError, match="recipient"):
            stored_nudge(bad)
