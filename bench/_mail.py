"""A realistic, deterministic freelancer mailbox for the IMAP benches.

``inbox(n, seed)`` yields ``(raw bytes, INTERNALDATE)`` pairs, oldest first, 2-6 KB
each, with the headers real mail carries (Received, DKIM-Signature...) around the
ones ghostwatch asks for. The mix, by share of messages:

- 30% a client writing (``Name <x@clientNN.example>``), 20% other people
- 22% mailing lists (List-Id, List-Unsubscribe, Precedence: bulk)
- 12% ``noreply@`` notifications
- 6% our own mail (From the account, To a client: a copy or a Cc)
- 3% auto-replies (Auto-Submitted), a third of them from clients, half of those
  without a return date in the subject (ghostwatch then reads the body)
- 1% bounces (multipart/report DSNs from MAILER-DAEMON; ghostwatch reads the body)
- 6% other human mail with Georgian or Thai subjects and names (RFC 2047, UTF-8)

Messages are built by string formatting, not ``EmailMessage``: 100,000 of them take
a few seconds. Every Message-ID is unique, so every message is stored once.
"""

from __future__ import annotations

import base64
import random
import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.header import Header
from email.utils import format_datetime

from ghostwatch.core.domain import ClientMatcher

ACCOUNT = "me@studio.example"
NOW = datetime(2025, 6, 2, 12, 0, tzinfo=UTC)  # the bench's fixed "now"
CLIENTS = 40

_FIRST = ("Anna", "Ben", "Chiara", "Dmitri", "Elif", "Farid", "Grace", "Hiro", "Ines", "Jon")
_LAST = ("Keller", "Nowak", "Rossi", "Sato", "Okafor", "Lindqvist", "Moreau", "Silva")
_KA_NAMES = ("ნინო ბერიძე", "გიორგი მაისურაძე", "თამარ ლომიძე")
_TH_NAMES = ("สมชาย ใจดี", "นภา ศรีสุข", "อนันต์ วงศ์ไทย")
_SUBJECTS = (
    "Logo revisions, round 2", "Invoice 2025-{n:03d}", "Quick question about the brief",
    "Re: Homepage copy", "Re: Re: Timeline for phase {n}", "Feedback on the mockups",
    "Contract draft attached", "Can we move Thursday's call?", "Fwd: assets from the agency",
    "Re: Budget for Q{q}", "Photos from the shoot", "Next steps",
)  # fmt: skip
_KA_SUBJECTS = ("ლოგოს ახალი ვარიანტები", "ინვოისი და გადახდის ვადა", "შეხვედრა ხვალ?")
_TH_SUBJECTS = ("แก้ไขโลโก้รอบที่สอง", "ใบแจ้งหนี้และกำหนดชำระ", "นัดประชุมพรุ่งนี้ได้ไหม")
_LISTS = ("design-weekly", "typography-digest", "freelance-forum", "saas-updates", "city-events")
_NOREPLY = ("noreply@github.example", "no-reply@bank.example", "noreply@calendar.example",
            "donotreply@invoicing.example", "noreply@cloud.example")  # fmt: skip
_LOREM = (
    "Thanks for the quick turnaround on this. I had a look at the latest version with the "
    "team and we like the direction, but the colours feel a little heavy on mobile. Could "
    "you try a lighter variant of the header and send both? No rush, end of next week is "
    "fine. Also, accounting asked whether the invoice should go to the new address. "
)
_LINES = [*textwrap.wrap(_LOREM * 4, 72), ""]
_TEXT = "\r\n".join(_LINES * 40)
_OFFSETS = [0]
for _line in _LINES * 40:
    _OFFSETS.append(_OFFSETS[-1] + len(_line) + 2)
_KA_BODY = "გმადლობთ სწრაფი პასუხისთვის. ახალი ვერსია ძალიან მოგვწონს, მაგრამ ფერები მძიმეა. "
_TH_BODY = "ขอบคุณที่ส่งงานมาเร็ว ทีมของเราชอบแนวทางนี้ แต่สีดูหนักไปหน่อยบนมือถือ "


def client_domain(i: int) -> str:
    return f"client{i:02d}.example"


def client_matchers() -> tuple[ClientMatcher, ...]:
    """The bench's clients: whole domains, plus a few exact addresses on a webmail host."""
    return tuple(
        ClientMatcher(
            name=f"Client {i:02d}",
            emails=frozenset({f"owner{i:02d}@webmail.example"} if i % 5 == 0 else ()),
            domains=frozenset({client_domain(i)}),
        )
        for i in range(CLIENTS)
    )


def _encode(text: str) -> str:
    """RFC 2047 B-encoded UTF-8 words, folded as mailers do (characters split across
    words are fine: ghostwatch joins adjacent words as bytes)."""
    return Header(text, "utf-8").encode(linesep="\r\n")


_KA_ENCODED = tuple(_encode(s) for s in _KA_SUBJECTS)
_TH_ENCODED = tuple(_encode(s) for s in _TH_SUBJECTS)
_KA_NAMES_ENCODED = tuple(_encode(s) for s in _KA_NAMES)
_TH_NAMES_ENCODED = tuple(_encode(s) for s in _TH_NAMES)


class _Builder:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def person(self, domain: str) -> tuple[str, str]:
        first, last = self.rng.choice(_FIRST), self.rng.choice(_LAST)
        return f"{first} {last}", f"{first.lower()}.{last.lower()}@{domain}"

    def subject(self) -> str:
        return self.rng.choice(_SUBJECTS).format(
            n=self.rng.randint(1, 200), q=self.rng.randint(1, 4)
        )

    def trace(self, domain: str, when: datetime) -> list[str]:
        """Received and DKIM headers: the bulk of a real header block, never requested."""
        rng = self.rng
        stamp = format_datetime(when)
        sig = base64.b64encode(rng.randbytes(256)).decode()
        sig = "\r\n\t".join(sig[i : i + 76] for i in range(0, len(sig), 76))
        return [
            f"Received: from mx{rng.randint(1, 9)}.{domain} (mx.{domain} [192.0.2."
            f"{rng.randint(1, 254)}])\r\n\tby mail.studio.example (Postfix) with ESMTPS id "
            f"{rng.randbytes(6).hex().upper()}\r\n\tfor <{ACCOUNT}>; {stamp}",
            f"Received: by mail-{rng.randint(10, 99)}.{domain} with SMTP id "
            f"{rng.randbytes(8).hex()};\r\n\t{stamp}",
            f"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d={domain}; s=s1;\r\n\t"
            f"h=from:to:subject:date:message-id; bh={base64.b64encode(rng.randbytes(32)).decode()};"
            f"\r\n\tb={sig}",
            f"X-Spam-Status: No, score=-{rng.randint(0, 30) / 10} required=5.0",
        ]

    def body(self, size: int) -> str:
        """About ``size`` bytes of wrapped prose, starting at a random paragraph line."""
        start = self.rng.randrange(len(_LINES) // 2)
        return _TEXT[_OFFSETS[start] : _OFFSETS[start] + size] + "\r\n"

    def message(self, i: int, when: datetime) -> bytes:  # noqa: C901 - one branch per kind
        rng = self.rng
        roll = rng.random()
        client = rng.randrange(CLIENTS)
        cdomain = client_domain(client)
        date = when - timedelta(seconds=rng.randint(5, 600))
        size = rng.randint(2048, 6144)
        extra: list[str] = []
        ctype = "text/plain; charset=us-ascii"
        body: str | None = None
        to = ACCOUNT
        subject = self.subject()
        if roll < 0.30:  # a client writes
            name, addr = self.person(cdomain)
            if client % 5 == 0 and rng.random() < 0.3:
                addr = f"owner{client:02d}@webmail.example"
            sender, domain = f"{name} <{addr}>", cdomain
            if subject.startswith("Re:"):
                ref = f"<{rng.randbytes(8).hex()}@studio.example>"
                extra += [f"In-Reply-To: {ref}", f"References: {ref}"]
        elif roll < 0.50:  # someone else
            name, addr = self.person(f"mail{rng.randint(1, 300)}.example")
            sender, domain = f"{name} <{addr}>", addr.rpartition("@")[2]
        elif roll < 0.72:  # a mailing list
            lst = rng.choice(_LISTS)
            domain = f"{lst}.lists.example"
            sender = f'"{lst.replace("-", " ").title()}" <news@{domain}>'
            subject = f"[{lst}] {subject}"
            extra += [f"List-Id: {lst.title()} <{lst}.lists.example>",
                      f"List-Unsubscribe: <mailto:leave-{rng.randbytes(6).hex()}@{domain}>",
                      "Precedence: bulk"]  # fmt: skip
        elif roll < 0.84:  # a notification nobody can answer
            addr = rng.choice(_NOREPLY)
            sender, domain = f"Notifications <{addr}>", addr.rpartition("@")[2]
            if rng.random() < 0.25:
                extra.append("Auto-Submitted: auto-generated")
        elif roll < 0.90:  # our own message to a client (Cc or copy)
            _name, rcpt = self.person(cdomain)
            sender, domain, to = f"Nino Beridze <{ACCOUNT}>", "studio.example", rcpt
            extra.append(f"Cc: {ACCOUNT}")
        elif roll < 0.93:  # an auto-reply
            if rng.random() < 1 / 3:
                name, addr = self.person(cdomain)
                domain = cdomain
            else:
                name, addr = self.person(f"mail{rng.randint(1, 300)}.example")
                domain = addr.rpartition("@")[2]
            sender = f"{name} <{addr}>"
            back = (date + timedelta(days=rng.randint(2, 20))).strftime("%d %B %Y")
            if rng.random() < 0.5:
                subject = f"Out of office: back on {back}"
            else:
                subject = f"Automatic reply: {subject}"
            extra += ["Auto-Submitted: auto-replied", "X-Autoreply: yes"]
            body = f"Hello,\r\n\r\nI am out of the office until {back} with limited access "
            body += "to email.\r\n\r\n" + self.body(max(size - 1700, 200))
        elif roll < 0.94:  # a bounce
            return self.bounce(i, when, date, cdomain, size)
        else:  # Georgian or Thai
            georgian = rng.random() < 0.5
            names = _KA_NAMES_ENCODED if georgian else _TH_NAMES_ENCODED
            domain = cdomain if rng.random() < 0.5 else f"mail{rng.randint(1, 300)}.example"
            sender = f"{rng.choice(names)} <{rng.choice(('nino', 'somchai', 'tamar'))}@{domain}>"
            subject = rng.choice(_KA_ENCODED if georgian else _TH_ENCODED)
            text = ((_KA_BODY if georgian else _TH_BODY) * (size // 100 + 1)).encode()
            raw = text[: max(size - 1500, 300) * 3 // 4]  # base64 adds a third
            body = base64.encodebytes(raw).decode().replace("\n", "\r\n")
            ctype = "text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64"
        headers = [f"Return-Path: <{sender.rpartition('<')[2].rstrip('>')}>"]
        headers += self.trace(domain, when)
        headers += [
            f"Message-ID: <{i}.{rng.randbytes(6).hex()}@{domain}>",
            f"Date: {format_datetime(date)}",
            f"From: {sender}",
            f"To: {to}",
            f"Subject: {subject}",
            *extra,
            "MIME-Version: 1.0",
            f"Content-Type: {ctype}",
        ]
        head = "\r\n".join(headers) + "\r\n\r\n"
        if body is None:
            body = self.body(max(size - len(head), 200))
        return (head + body).encode()

    def bounce(self, i: int, when: datetime, date: datetime, cdomain: str, size: int) -> bytes:
        rng = self.rng
        _name, failed = self.person(cdomain if rng.random() < 0.5 else "gone.example")
        boundary = f"=_bounce_{rng.randbytes(8).hex()}"
        original = f"<{rng.randbytes(8).hex()}@studio.example>"
        headers = ["Return-Path: <>", *self.trace("mx.studio.example", when)]
        headers += [
            f"Message-ID: <{i}.dsn.{rng.randbytes(6).hex()}@mx.studio.example>",
            f"Date: {format_datetime(date)}",
            "From: Mail Delivery System <MAILER-DAEMON@mx.studio.example>",
            f"To: {ACCOUNT}",
            "Subject: Undelivered Mail Returned to Sender",
            "Auto-Submitted: auto-replied",
            "MIME-Version: 1.0",
            "Content-Type: multipart/report; report-type=delivery-status;",
            f'\tboundary="{boundary}"',
        ]
        text = (
            "This is the mail system at host mx.studio.example.\r\n\r\nI'm sorry to have to "
            "inform you that your message could not\r\nbe delivered to one or more recipients."
            f"\r\n\r\n<{failed}>: host mx.{cdomain} said: 550 5.1.1\r\n    User unknown\r\n"
        )
        dsn = (
            f"Reporting-MTA: dns; mx.studio.example\r\nArrival-Date: {format_datetime(date)}"
            f"\r\n\r\nFinal-Recipient: rfc822; {failed}\r\nOriginal-Recipient: rfc822;{failed}"
            "\r\nAction: failed\r\nStatus: 5.1.1\r\nRemote-MTA: dns; mx.example\r\n"
            "Diagnostic-Code: smtp; 550 5.1.1 <x>: Recipient address rejected: User unknown\r\n"
        )
        quoted = (
            f"From: Nino Beridze <{ACCOUNT}>\r\nTo: {failed}\r\nSubject: {self.subject()}\r\n"
            f"Message-ID: {original}\r\nDate: {format_datetime(date)}\r\n"
        )
        parts = [
            ("text/plain; charset=us-ascii", text),
            ("message/delivery-status", dsn),
            ("text/rfc822-headers", quoted),
        ]
        body = "This is a MIME-encapsulated message.\r\n\r\n"
        for ctype, content in parts:
            body += f"--{boundary}\r\nContent-Type: {ctype}\r\n\r\n{content}\r\n"
        head = "\r\n".join(headers) + "\r\n\r\n"
        pad = max(size - len(head) - len(body) - 40, 0)
        body = body.replace("User unknown\r\n", "User unknown\r\n" + self.body(pad), 1)
        return (head + body + f"--{boundary}--\r\n").encode()

    def sent(self, i: int, when: datetime) -> bytes:
        """A message we sent to a client (for the Sent folder)."""
        rng = self.rng
        cdomain = client_domain(rng.randrange(CLIENTS))
        name, rcpt = self.person(cdomain)
        headers = [
            f"Message-ID: <sent.{i}.{rng.randbytes(6).hex()}@studio.example>",
            f"Date: {format_datetime(when)}",
            f"From: Nino Beridze <{ACCOUNT}>",
            f"To: {name} <{rcpt}>",
            f"Subject: {self.subject()}",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=us-ascii",
        ]
        head = "\r\n".join(headers) + "\r\n\r\n"
        return (head + self.body(rng.randint(1024, 4096))).encode()


def _times(n: int, span: timedelta) -> Iterator[datetime]:
    """``n`` instants spread evenly over ``span`` before NOW, oldest first."""
    step = span / max(n, 1)
    start = NOW - span
    for i in range(n):
        yield start + step * i


def inbox(n: int, seed: int = 1) -> Iterator[tuple[bytes, datetime]]:
    """``n`` INBOX messages over the year before NOW, oldest first."""
    builder = _Builder(seed)
    for i, when in enumerate(_times(n, timedelta(days=365))):
        yield builder.message(i, when), when


def sent(n: int, seed: int = 2) -> Iterator[tuple[bytes, datetime]]:
    """``n`` Sent messages over the year before NOW, oldest first."""
    builder = _Builder(seed)
    for i, when in enumerate(_times(n, timedelta(days=365))):
        yield builder.sent(i, when), when
