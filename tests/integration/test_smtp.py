"""SmtpMailer against a real aiosmtpd server on loopback (tests/support/smtpd.py); no mocks."""

from __future__ import annotations

import email
import re
import socket
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.policy import Policy

import pytest

from ghostwatch.adapters.smtp import SendReceipt, SmtpEndpoint, SmtpMailer, is_transient
from ghostwatch.core.render import POLICY
from ghostwatch.errors import (
    ConfigError,
    SendAuthError,
    SendOutcomeUnknown,
    SendRejected,
    SendRetryable,
)
from tests.support.smtpd import SmtpTestServer


def endpoint(server: SmtpTestServer, **kw: object) -> SmtpEndpoint:
    options: dict[str, object] = {"security": "none", "timeout_s": 5.0, "local_hostname": "test"}
    options.update(kw)
    return SmtpEndpoint(server.host, server.port, **options)  # type: ignore[arg-type]


def message(
    n: int = 1, to: str = "jane@acme.example", policy: Policy = SMTP_POLICY
) -> EmailMessage:
    msg = EmailMessage(policy=policy)
    msg["From"] = "ნინო ბერიძე <nino@studio.example>"
    msg["To"] = f"สมชาย ใจดี <{to}>"
    msg["Subject"] = f"Re: ლოგოს დიზაინი / โลโก้ {n}"
    msg["Message-ID"] = f"<gw.{n:032x}@studio.example>"
    msg.set_content("გამარჯობა!\n.leading dot survives\nสวัสดี\n", charset="utf-8", cte="base64")
    return msg


async def test_send_arrives_intact_with_georgian_and_thai(smtp_server: SmtpTestServer) -> None:
    msg = message()
    msg["Bcc"] = "secret@studio.example"
    async with SmtpMailer(endpoint(smtp_server)) as mailer:
        receipt = await mailer.send(msg)

    assert receipt == SendReceipt(
        "<gw.00000000000000000000000000000001@studio.example>",
        ("jane@acme.example", "secret@studio.example"),
        receipt.response,
    )
    assert receipt.response.startswith("250")
    [got] = smtp_server.messages
    assert got.mail_from == "nino@studio.example"
    assert got.rcpt_tos == ["jane@acme.example", "secret@studio.example"]
    assert got.message["Subject"] == "Re: ლოგოს დიზაინი / โลโก้ 1"
    assert got.message["From"].addresses[0].display_name == "ნინო ბერიძე"
    assert got.message["To"].addresses[0].display_name == "สมชาย ใจดี"
    text = got.message.get_content().replace("\r\n", "\n")
    assert text == "გამარჯობა!\n.leading dot survives\nสวัสดี\n"
    assert got.message["Message-ID"] == msg["Message-ID"]
    assert b"secret@studio.example" not in got.raw  # Bcc never on the wire
    assert msg["Bcc"] == "secret@studio.example"  # ... and the caller's message is untouched


async def test_one_connection_serves_many_sends(smtp_server: SmtpTestServer) -> None:
    async with SmtpMailer(endpoint(smtp_server)) as mailer:
        for n in range(3):
            await mailer.send(message(n))
        assert mailer.connections_opened == 1
    assert smtp_server.connections == 1
    assert len(smtp_server.messages) == 3


@pytest.mark.parametrize("stage", ["MAIL", "RCPT", "DATA"])
async def test_4xx_is_retryable(smtp_server: SmtpTestServer, stage: str) -> None:
    smtp_server.fail_next(451, stage)
    async with SmtpMailer(endpoint(smtp_server)) as mailer:
        with pytest.raises(SendRetryable, match="451"):
            await mailer.send(message())
        assert smtp_server.messages == []
        await mailer.send(message(2))  # the connection is still usable (RSET)
        assert mailer.connections_opened == 1
    assert len(smtp_server.messages) == 1


@pytest.mark.parametrize("stage", ["MAIL", "RCPT", "DATA"])
async def test_5xx_is_rejected(smtp_server: SmtpTestServer, stage: str) -> None:
    smtp_server.fail_next(550, stage)
    async with SmtpMailer(endpoint(smtp_server)) as mailer:
        with pytest.raises(SendRejected, match="550") as caught:
            await mailer.send(message())
    assert not is_transient(caught.value)
    assert smtp_server.messages == []


async def test_some_recipients_refused_is_a_partial_success(smtp_server: SmtpTestServer) -> None:
    smtp_server.refuse.add("gone@acme.example")
    msg = message()
    msg["Cc"] = "gone@acme.example"
    async with SmtpMailer(endpoint(smtp_server)) as mailer:
        receipt = await mailer.send(msg)
    assert receipt.accepted == ("jane@acme.example",)


async def test_all_recipients_refused_is_rejected(smtp_server: SmtpTestServer) -> None:
    smtp_server.refuse.add("jane@acme.example")
    async with SmtpMailer(endpoint(smtp_server)) as mailer:
        with pytest.raises(SendRejected):
            await mailer.send(message())


async def test_421_then_reconnects(smtp_server: SmtpTestServer) -> None:
    smtp_server.fail_next(421, "MAIL")
    async with SmtpMailer(endpoint(smtp_server)) as mailer:
        with pytest.raises(SendRetryable):
            await mailer.send(message(1))
        await mailer.send(message(2))
        assert mailer.connections_opened == 2
    assert [m.message["Subject"] for m in smtp_server.messages] == ["Re: ლოგოს დიზაინი / โลโก้ 2"]


async def test_drop_after_data_is_unknown_and_the_server_has_it(
    smtp_server: SmtpTestServer,
) -> None:
    smtp_server.drop_after_data_next()
    msg = message()
    async with SmtpMailer(endpoint(smtp_server)) as mailer:
        with pytest.raises(SendOutcomeUnknown, match=r"<gw\.0+1@studio\.example>"):
            await mailer.send(msg)
        # the next send opens a fresh connection
        await mailer.send(message(2))
        assert mailer.connections_opened == 2
    assert [m.message["Message-ID"] for m in smtp_server.messages] == [
        msg["Message-ID"],
        message(2)["Message-ID"],
    ]


async def test_timeout_waiting_for_final_reply_is_unknown(smtp_server: SmtpTestServer) -> None:
    smtp_server.delay_next(2.0, "DATA")
    async with SmtpMailer(endpoint(smtp_server, timeout_s=0.5)) as mailer:
        with pytest.raises(SendOutcomeUnknown):
            await mailer.send(message())
    assert len(smtp_server.messages) == 1  # it did arrive: only the reply was late


async def test_timeout_before_content_is_retryable(smtp_server: SmtpTestServer) -> None:
    smtp_server.delay_next(2.0, "MAIL")
    async with SmtpMailer(endpoint(smtp_server, timeout_s=0.5)) as mailer:
        with pytest.raises(SendRetryable):
            await mailer.send(message())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_connection_refused_is_retryable() -> None:
    ep = SmtpEndpoint("127.0.0.1", free_port(), "none", timeout_s=2.0, local_hostname="test")
    async with SmtpMailer(ep) as mailer:
        with pytest.raises(SendRetryable, match="cannot connect") as caught:
            await mailer.send(message())
    assert is_transient(caught.value)


async def test_tls_against_a_plain_server_fails(smtp_server: SmtpTestServer) -> None:
    async with SmtpMailer(endpoint(smtp_server, security="tls")) as mailer:
        with pytest.raises(SendRetryable):
            await mailer.send(message())
    assert smtp_server.messages == []


async def test_starttls_without_server_support_fails(smtp_server: SmtpTestServer) -> None:
    async with SmtpMailer(endpoint(smtp_server, security="starttls")) as mailer:
        with pytest.raises(SendRetryable, match="STARTTLS"):
            await mailer.send(message())
    assert smtp_server.messages == []


def test_plaintext_refused_to_a_remote_host() -> None:
    with pytest.raises(ConfigError, match="loopback"):
        SmtpEndpoint("smtp.example.com", 25, "none")
    SmtpEndpoint("::1", 25, "none")
    SmtpEndpoint("localhost", 25, "none")


async def test_auth_login_and_password_never_shown(smtp_server_factory) -> None:  # type: ignore[no-untyped-def]
    server = smtp_server_factory(username="nino", password="s3cret-pw")
    good = endpoint(server, username="nino", password=lambda: "s3cret-pw")
    assert "s3cret" not in repr(good)
    async with SmtpMailer(good) as mailer:
        await mailer.send(message())
    assert len(server.messages) == 1

    bad = endpoint(server, username="nino", password=lambda: "wrong-pw")
    async with SmtpMailer(bad) as mailer:
        with pytest.raises(SendAuthError, match="login refused") as caught:
            await mailer.send(message(2))
    assert "wrong-pw" not in str(caught.value)


async def test_message_without_message_id_is_refused(smtp_server: SmtpTestServer) -> None:
    msg = message()
    del msg["Message-ID"]
    async with SmtpMailer(endpoint(smtp_server)) as mailer:
        with pytest.raises(ValueError, match="Message-ID"):
            await mailer.send(msg)


def test_constructor_never_connects() -> None:
    SmtpMailer(SmtpEndpoint("127.0.0.1", free_port(), "none"))


async def test_stored_then_parsed_nudge_keeps_its_threading_headers(
    smtp_server: SmtpTestServer,
) -> None:
    """The outbox stores the rendered bytes and parses them back before sending: long
    References lines must go out as they were, never re-encoded."""
    long_id = "<" + "b" * 90 + "@very-long-domain.acme.example>"
    original = message(policy=POLICY)  # as render builds it
    original["In-Reply-To"] = long_id
    original["References"] = f"<root@acme.example> {long_id}"
    stored = email.message_from_bytes(original.as_bytes(policy=POLICY), policy=SMTP_POLICY)
    assert isinstance(stored, EmailMessage)
    async with SmtpMailer(endpoint(smtp_server)) as mailer:
        await mailer.send(stored)
    [got] = smtp_server.messages
    assert got.message["In-Reply-To"] == long_id
    assert got.message["References"].split() == ["<root@acme.example>", long_id]
    headers = got.raw.split(b"\r\n\r\n")[0].decode("ascii")
    threading = re.findall(r"^(?:References|In-Reply-To):.*(?:\r\n[ \t].*)*", headers, re.M)
    assert len(threading) == 2
    assert all("=?" not in h for h in threading)
