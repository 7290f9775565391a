"""The demo's world: one freelancer, seven clients, four weeks of mail on a fixed calendar.

PURE: builds configuration text and RFC 5322 messages; no I/O, never reads the clock.

The calendar is fixed (November 2026) so that every run tells the same story:
- Acme Ltd goes silent: check-in, closing notice, then ghosted.
- Globex replies before any nudge: the ball is in your court, never nudged.
- Umbrella Studio answers the check-in with an out-of-office until 13 Nov: the
  closing notice waits until they are back.
- Hooli: the address you wrote to does not exist; the bounce stops every nudge.
- Initech owes an invoice: payment reminder, then a work-paused notice.
- Kvevri & Co (Georgian) gets a check-in in Georgian and replies.
- Siam Design (Thai) gets a check-in and a closing notice in Thai.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from zoneinfo import ZoneInfo

ME = "nino@studio.example"
MY_NAME = "Nino Beridze"
ZONE = "Asia/Tbilisi"
START = datetime(2026, 11, 2, 8, 0, tzinfo=ZoneInfo(ZONE)).astimezone(UTC)  # Mon 2 Nov
END = datetime(2026, 11, 23, 18, 0, tzinfo=ZoneInfo(ZONE)).astimezone(UTC)  # Mon 23 Nov

CLIENTS_TOML = """\
[[clients]]
name = "Acme Ltd"
emails = ["jane@acme.example"]
domains = ["acme.example"]
first_name = "Jane"
timezone = "Europe/London"

[[clients]]
name = "Globex"
emails = ["hank@globex.example"]
first_name = "Hank"
timezone = "America/New_York"

[[clients]]
name = "Umbrella Studio"
emails = ["alice@umbrella.example"]
first_name = "Alice"
timezone = "Europe/Berlin"

[[clients]]
name = "Hooli"
emails = ["gavin@hooli.example"]
domains = ["hooli.example"]
first_name = "Gavin"
timezone = "America/Los_Angeles"

[[clients]]
name = "Initech"
emails = ["bill@initech.example"]
first_name = "Bill"
timezone = "America/Chicago"
# The project is delivered: only the invoice is chased, not the silence.
rules = { ladder = [ { after = "6w", template = "check_in" } ] }
[[clients.invoices]]
number = "INV-2026-031"
amount = "2,400 USD"
due = "2026-11-02"

[[clients]]
name = "ქვევრი და კო"
emails = ["giorgi@kvevri.example"]
first_name = "გიორგი"
timezone = "Asia/Tbilisi"
language = "ka"

[[clients]]
name = "สยาม ดีไซน์"
emails = ["somchai@siamdesign.example"]
first_name = "สมชาย"
timezone = "Asia/Bangkok"
language = "th"
"""


@dataclass(frozen=True)
class Mail:
    """One message to put in the mailbox at ``at`` (its INTERNALDATE)."""

    at: datetime  # aware UTC
    folder: str  # "INBOX" or "Sent"
    raw: bytes
    sender: str  # for the narration: who wrote it
    subject: str


def at(day: int, hhmm: str, zone: str, month: int = 11) -> datetime:
    """Return the UTC instant of ``day``/``month``/2026 ``hhmm`` wall time in ``zone``."""
    hour, minute = (int(x) for x in hhmm.split(":"))
    return datetime(2026, month, day, hour, minute, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def message(
    when: datetime,
    from_: tuple[str, str],
    to: tuple[str, str],
    subject: str,
    body: str,
    *,
    mid: str,
    reply_to: str | None = None,
    headers: dict[str, str] | None = None,
) -> EmailMessage:
    """Return a plain-text message; ``reply_to`` (a Message-ID) threads it."""
    msg = EmailMessage()
    msg["From"] = formataddr(from_)
    msg["To"] = formataddr(to)
    msg["Subject"] = subject
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = mid
    if reply_to:
        msg["In-Reply-To"] = reply_to
        msg["References"] = reply_to
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(textwrap.dedent(body).strip() + "\n")
    return msg


class Story:
    """Collects the mail of one client conversation, in order."""

    def __init__(self, name: str, address: str, subject: str, domain: str) -> None:
        self.them = (name, address)
        self.subject = subject
        self.domain = domain
        self.mails: list[Mail] = []
        self.last_id: str | None = None

    def _add(self, msg: EmailMessage, when: datetime, folder: str, sender: str) -> None:
        self.mails.append(Mail(when, folder, msg.as_bytes(), sender, str(msg["Subject"])))
        self.last_id = str(msg["Message-ID"])

    def _subject(self) -> str:
        return self.subject if self.last_id is None else f"Re: {self.subject}"

    def theirs(self, when: datetime, body: str, **extra: str) -> None:
        n = len(self.mails) + 1
        mid = f"<{n}.{when:%Y%m%d%H%M}@{self.domain}>"
        msg = message(
            when, self.them, (MY_NAME, ME), self._subject(), body, mid=mid, reply_to=self.last_id
        )
        self._add(msg, when, "INBOX", self.them[0])

    def mine(self, when: datetime, body: str, to: str | None = None) -> None:
        n = len(self.mails) + 1
        mid = f"<{n}.{when:%Y%m%d%H%M}.{self.domain}@studio.example>"
        them = (self.them[0], to or self.them[1])
        msg = message(
            when, (MY_NAME, ME), them, self._subject(), body, mid=mid, reply_to=self.last_id
        )
        self._add(msg, when, "Sent", "you")

    def raw(self, when: datetime, folder: str, raw: bytes, sender: str, subject: str) -> None:
        self.mails.append(Mail(when, folder, raw, sender, subject))


def acme() -> list[Mail]:
    """Silent after your drafts: the whole ladder, then ghosted."""
    s, tz = (
        Story("Jane Cooper", "jane@acme.example", "Logo drafts, round 2", "acme.example"),
        "Europe/London",
    )
    s.theirs(
        at(14, "10:12", tz, 10),
        """\
        Hi Nino,

        thanks for the first round! Could you send a second one, a bit bolder?

        Jane""",
    )
    s.mine(
        at(15, "16:40", tz, 10),
        """\
        Hi Jane,

        will do: you'll have it by the end of next week.

        Nino""",
    )
    s.mine(
        at(30, "15:40", tz, 10),
        """\
        Hi Jane,

        here is round 2: three directions, PDFs attached. Which one speaks to you?

        Nino""",
    )
    return s.mails


def globex() -> list[Mail]:
    """Replies two days before the check-in would go out."""
    s = Story("Hank Scorpio", "hank@globex.example", "Website proposal", "globex.example")
    tz = "America/New_York"
    s.mine(
        at(29, "11:05", tz, 10),
        """\
        Hi Hank,

        as promised, the proposal for the new website: scope, timeline, budget.

        Nino""",
    )
    s.theirs(
        at(3, "09:47", tz),
        """\
        Nino, looks great. Two questions about the timeline: can we talk Thursday?

        Hank""",
    )
    return s.mails


def umbrella() -> list[Mail]:
    """The check-in is answered by an out-of-office: the closing notice waits."""
    s = Story("Alice Marsh", "alice@umbrella.example", "Brand guidelines v3", "umbrella.example")
    tz = "Europe/Berlin"
    s.mine(
        at(26, "10:30", tz, 10),
        """\
        Hi Alice,

        the third version of the brand guidelines is ready for review.

        Nino""",
    )
    ooo = message(
        at(2, "10:31", tz),
        s.them,
        (MY_NAME, ME),
        "Out of office: Re: Brand guidelines v3",
        """\
        Thank you for your message. I am on holiday until 13 November 2026,
        with limited access to email. I will reply as soon as I am back.

        Alice Marsh""",
        mid="<ooo.20261102@umbrella.example>",
        headers={"Auto-Submitted": "auto-replied", "X-Autoreply": "yes"},
    )
    s.raw(
        at(2, "10:31", tz), "INBOX", ooo.as_bytes(), "Alice Marsh (auto-reply)", str(ooo["Subject"])
    )
    return s.mails


def hooli() -> list[Mail]:
    """You write to an address that does not exist; the bounce stops every nudge."""
    s = Story("Gavin Belson", "gavin@hooli.example", "Workshop follow-up", "hooli.example")
    tz = "America/Los_Angeles"
    when = at(2, "09:15", tz)
    s.mine(
        when,
        """\
        Hi Gavin,

        thank you for the workshop! The notes and next steps are attached.

        Nino""",
        to="gavin.belson@hooli.example",
    )
    bounced = when + timedelta(minutes=1)
    raw = dsn(bounced, "gavin.belson@hooli.example", str(s.last_id))
    s.raw(bounced, "INBOX", raw, "Mail Delivery System", "Undelivered Mail Returned to Sender")
    return s.mails


def initech() -> list[Mail]:
    """Delivered and invoiced; the invoice due 2 Nov is not paid."""
    s = Story("Bill Lumbergh", "bill@initech.example", "Final files", "initech.example")
    tz = "America/Chicago"
    s.mine(
        at(19, "14:00", tz, 10),
        """\
        Hi Bill,

        the final files are in the shared folder.

        Nino""",
    )
    s.theirs(
        at(20, "09:02", tz, 10),
        """\
        Yeahhh, that'd be great. Got them, thanks.

        Bill""",
    )
    s.mine(
        at(26, "10:00", tz, 10),
        """\
        Hi Bill,

        glad it all arrived. Here is invoice INV-2026-031 (2,400 USD), due 2 November.

        Nino""",
    )
    return s.mails


def kvevri() -> list[Mail]:
    """Georgian: a check-in in Georgian, then a reply."""
    s = Story("გიორგი მაისურაძე", "giorgi@kvevri.example", "ლოგოს ესკიზები", "kvevri.example")
    tz = ZONE
    s.mine(
        at(27, "12:00", tz, 10),
        """\
        გამარჯობა გიორგი,

        გიგზავნით ლოგოს სამ ესკიზს. რომელი მოგწონთ?

        ნინო""",
    )
    s.theirs(
        at(5, "10:20", tz),
        """\
        ნინო, ბოდიში დაგვიანებისთვის! მეორე ვარიანტი მოგვწონს ყველას.

        გიორგი""",
    )
    return s.mails


def siam() -> list[Mail]:
    """Thai: you write during the demo; a check-in and a closing notice follow in Thai."""
    s = Story("สมชาย ใจดี", "somchai@siamdesign.example", "แบบร่างโลโก้ รอบที่สอง", "siamdesign.example")
    s.mine(
        at(4, "11:00", ZONE),
        """\
        สวัสดีครับคุณสมชาย

        แนบแบบร่างโลโก้รอบที่สองมาให้พิจารณาครับ

        นีโน""",
    )
    return s.mails


def dsn(when: datetime, failed: str, original_id: str) -> bytes:
    """Return an RFC 3464 delivery status notification for a hard bounce."""
    boundary = "demo-dsn-boundary"
    text = f"""\
From: Mail Delivery System <MAILER-DAEMON@mx.hooli.example>
To: {ME}
Subject: Undelivered Mail Returned to Sender
Date: {format_datetime(when)}
Message-ID: <dsn.{when:%Y%m%d%H%M}@mx.hooli.example>
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"

--{boundary}
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.hooli.example.
Your message could not be delivered to one or more recipients.

<{failed}>: host mx.hooli.example said: 550 5.1.1 User unknown

--{boundary}
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.hooli.example

Final-Recipient: rfc822; {failed}
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 <{failed}>: Recipient address rejected: User unknown

--{boundary}
Content-Type: text/rfc822-headers

From: {ME}
To: {failed}
Subject: Workshop follow-up
Message-ID: {original_id}

--{boundary}--
"""
    return text.replace("\n", "\r\n").encode()


def all_mail() -> list[Mail]:
    """Every message of the story, in time order (before START: the mailbox as found)."""
    mails = [*acme(), *globex(), *umbrella(), *hooli(), *initech(), *kvevri(), *siam()]
    return sorted(mails, key=lambda m: m.at)
