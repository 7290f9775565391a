"""The transcript: six weeks of eight clients, from a config file through real Dovecot and
aiosmtpd, written down as the clients received it.

Every message that reached a client (not the user's own daily summary) is written to
``transcript.txt`` beside this file: local date and time in the client's zone, the
recipient, the subject, the greeting line, what it says (template and the ladder steps
it carries) and the body. The file is committed and compared exactly: a change to what
clients receive is a deliberate, reviewed change. To accept one, run this test with
``GHOSTWATCH_UPDATE_TRANSCRIPT=1`` and review ``git diff tests/integration/transcript.txt``.

The rules of one voice are asserted on the same messages: one message per client per
cycle, ``min_gap`` between two messages to one client, no silence nudge while a payment
conversation runs, nothing after "work paused" until it is paid, no closing notice as
the first message after an out-of-office, and no greeting that names a company.
"""

from __future__ import annotations

import itertools
import os
import sqlite3
import textwrap
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from ghostwatch.app.bootstrap import App
from ghostwatch.cli import entry as cli
from ghostwatch.config.loader import load_config
from tests.support.scenario import dsn, mail

pytestmark = [pytest.mark.dovecot, pytest.mark.slow]

HERE = Path(__file__).parent
TRANSCRIPT = HERE / "transcript.txt"
ME = "me@studio.example"
START = datetime(2026, 11, 2, tzinfo=UTC)  # Monday
DAYS = 42
# One cycle every three hours covers every client's 09:00-17:00 window (Bangkok to LA).
CYCLE_HOURS = (2.5, 5.5, 8.5, 11.5, 14.5, 17.5, 20.5, 23.5)
MIN_GAP = timedelta(days=2)

CONFIG = """\
[database]
url = "sqlite:///{db}"

[[accounts]]
name = "studio"
address = "{me}"
display_name = {{ default = "Nino Beridze", ka = "ნინო ბერიძე" }}
timezone = "Asia/Tbilisi"
max_sync_age = "6h"
payment_matchers = [ {{ from = "noreply@bank.example", subject = "(?i)payment received" }} ]

[accounts.imap]
host = "{imap_host}"
port = {imap_port}
security = "none"
username = "{imap_user}"
password = "secret"

[accounts.smtp]
host = "127.0.0.1"
port = {smtp_port}
security = "none"
username = ""

[rules]
min_gap = "2d"

[summary]
to = "{me}"
at = "08:00"

# No first_name: the greeting comes from the display name on Jane's mail.
[[clients]]
name = "Acme Ltd"
emails = ["jane@acme.example"]
domains = ["acme.example"]
timezone = "America/New_York"

# Writes from "Globex Accounts": a role, so the greeting is neutral. Three invoices.
[[clients]]
name = "Globex"
emails = ["accounts@globex.example"]
timezone = "Europe/London"
[[clients.invoices]]
number = "INV-101"
amount = "1,200 GBP"
due = 2026-10-26
[[clients.invoices]]
number = "INV-102"
amount = "800 GBP"
due = 2026-10-28
[[clients.invoices]]
number = "INV-103"
amount = "450 GBP"
due = 2026-10-29

[[clients]]
name = "Umbrella Studio"
emails = ["alice@umbrella.example"]
timezone = "Europe/Berlin"
first_name = "Alice"

[[clients]]
name = "Hooli"
emails = ["gavin@hooli.example"]
timezone = "America/Los_Angeles"
first_name = "Gavin"

[[clients]]
name = "Initech"
emails = ["bill@initech.example"]
timezone = "America/Chicago"
first_name = "Bill"
[[clients.invoices]]
number = "INV-031"
amount = "2,400 USD"
due = 2026-11-02

[[clients]]
name = "ქვევრი და კო"
emails = ["giorgi@kvevri.example"]
timezone = "Asia/Tbilisi"
language = "ka"
first_name = "გიორგი"
rules = {{ holidays_country = "GE" }}

[[clients]]
name = "สยาม ดีไซน์"
emails = ["somchai@siamdesign.example"]
timezone = "Asia/Bangkok"
language = "th"
first_name = "สมชาย"
rules = {{ holidays_country = "TH" }}

[[clients]]
name = "Wonka"
emails = ["charlie@wonka.example"]
timezone = "Europe/London"
first_name = "Charlie"
[[clients.invoices]]
number = "INV-200"
amount = "3,000 GBP"
due = 2026-11-06
[[clients.deadlines]]
what = "feedback on the packaging mock-ups"
due = 2026-11-05
"""


def at(day: int, hour: float) -> datetime:
    return START + timedelta(days=day, hours=hour)


@dataclass(frozen=True)
class Event:
    when: datetime
    folder: str  # "INBOX" or "Sent"; "" for a command
    raw: bytes = b""
    command: tuple[str, ...] = ()


def _auto(sender: str, subject: str, body: str, mid: str, when: datetime) -> bytes:
    headers = {"Auto-Submitted": "auto-replied", "X-Autoreply": "yes"}
    return mail(sender, ME, subject, message_id=mid, date=when, headers=headers, body=body)


def story() -> list[Event]:
    """What happens in the mailbox over the six weeks, outside ghostwatch."""
    e: list[Event] = []

    def inbox(raw: bytes, when: datetime) -> None:
        e.append(Event(when, "INBOX", raw))

    def sent(to: str, subject: str, mid: str, when: datetime, body: str = "") -> None:
        raw = mail(f"Nino Beridze <{ME}>", to, subject, message_id=mid, date=when,
                   body=body or "Hello,\n\nplease find the files attached.\n")  # fmt: skip
        e.append(Event(when, "Sent", raw))

    # Acme: Jane wrote on 28 Oct; our answer of 2 Nov goes unanswered.
    inbox(mail("Jane Cooper <jane@acme.example>", ME, "Logo drafts", message_id="<a1@acme>",
               date=at(-5, 15)), at(-5, 15))  # fmt: skip
    sent("Jane Cooper <jane@acme.example>", "Re: Logo drafts", "<s-a1@studio>", at(0, 15))
    # Globex: accounts wrote in October; our last message went on 30 Oct.
    inbox(mail("Globex Accounts <accounts@globex.example>", ME, "Purchase order",
               message_id="<g1@globex>", date=at(-14, 10)), at(-14, 10))  # fmt: skip
    sent("accounts@globex.example", "Invoices for October", "<s-g1@studio>", at(-3, 10))
    # Umbrella: the check-in meets an out-of-office until 20 November.
    sent("alice@umbrella.example", "Brand guidelines v3", "<s-u1@studio>", at(1, 9))
    # Hooli: the address is dead.
    sent("gavin@hooli.example", "Workshop follow-up", "<s-h1@studio>", at(0, 19))
    inbox(dsn(ME, "gavin@hooli.example", message_id="<b1@mx>", date=at(0, 19.1),
              original_id="<s-h1@studio>"), at(0, 19.1))  # fmt: skip
    # Initech: our files went on 30 Oct; Bill answers the reminder "paid yesterday";
    # the bank's notice arrives three days later.
    sent("bill@initech.example", "Final files", "<s-i1@studio>", at(-3, 16))
    # Qvevri and Siam: our messages of 4 Nov go unanswered (Siam's auto-reply has no date).
    sent("giorgi@kvevri.example", "ლოგოს ესკიზები", "<s-k1@studio>", at(2, 8))
    sent("somchai@siamdesign.example", "แบบร่างโลโก้ รอบที่สอง", "<s-t1@studio>", at(2, 4))
    # Wonka: feedback due 5 Nov and an invoice due 6 Nov, then paid by bank transfer.
    sent("charlie@wonka.example", "Packaging mock-ups", "<s-w1@studio>", at(-1, 11))
    return sorted(e, key=lambda ev: ev.when)


def reactions(client_mail: EmailMessage, when: datetime) -> list[Event]:
    """Mail that answers a nudge, the way these clients' mailboxes would."""
    to = str(client_mail["To"])
    subject = str(client_mail["Subject"])
    mid = str(client_mail["Message-ID"])
    out: list[Event] = []
    if "alice@umbrella.example" in to and not hasattr(reactions, "umbrella"):
        reactions.umbrella = True  # type: ignore[attr-defined]
        body = "Thank you for your message. I am out of the office until 20 November 2026.\n"
        raw = _auto("Alice Marsh <alice@umbrella.example>", f"Out of office: {subject}", body,
                    "<ooo-u@umbrella>", when + timedelta(minutes=1))  # fmt: skip
        out.append(Event(when + timedelta(minutes=1), "INBOX", raw))
    if "somchai@siamdesign.example" in to and not hasattr(reactions, "siam"):
        reactions.siam = True  # type: ignore[attr-defined]
        body = "ขณะนี้ไม่อยู่ที่สำนักงาน จะติดต่อกลับโดยเร็วที่สุด\n"
        raw = _auto("สมชาย ใจดี <somchai@siamdesign.example>", f"ตอบกลับอัตโนมัติ: {subject}",
                    body, "<ooo-t@siam>", when + timedelta(minutes=2))  # fmt: skip
        out.append(Event(when + timedelta(minutes=2), "INBOX", raw))
    if "bill@initech.example" in to and not hasattr(reactions, "initech"):
        reactions.initech = True  # type: ignore[attr-defined]
        reply_at = when + timedelta(hours=20)
        topic = subject.removeprefix("Re: ")
        raw = mail("Bill Lumbergh <bill@initech.example>", ME, f"Re: {topic}",
                   message_id="<i2@initech>", date=reply_at, in_reply_to=mid,
                   body="Hi Nino,\n\nwe paid it yesterday, please check.\n\nBill\n")  # fmt: skip
        out.append(Event(reply_at, "INBOX", raw))
        bank_at = when + timedelta(days=3, hours=2)
        raw = mail("Bank <noreply@bank.example>", ME, "Payment received: INV-031",
                   message_id="<bank-031@bank>", date=bank_at,
                   body="Incoming transfer 2,400 USD, reference INV-031.\n")  # fmt: skip
        out.append(Event(bank_at, "INBOX", raw))
    if "charlie@wonka.example" in to and not hasattr(reactions, "wonka"):
        # Charlie answers the payment reminder with a promise, Nino thanks him: nothing
        # until Friday is over plus a business day of grace, then one promise reminder.
        reactions.wonka = True  # type: ignore[attr-defined]
        reply_at = when + timedelta(hours=18)
        topic = subject.removeprefix("Re: ")
        body = "Hi Nino,\n\nsorry, that one is on me. We'll pay on Friday.\n\nCharlie\n"
        raw = mail("Charlie Bucket <charlie@wonka.example>", ME, f"Re: {topic}",
                   message_id="<w2@wonka>", date=reply_at, in_reply_to=mid, body=body)  # fmt: skip
        out.append(Event(reply_at, "INBOX", raw))
        answer_at = reply_at + timedelta(hours=1)
        raw = mail(f"Nino Beridze <{ME}>", "charlie@wonka.example", f"Re: {topic}",
                   message_id="<s-w2@studio>", date=answer_at, in_reply_to="<w2@wonka>",
                   body="Thanks Charlie, Friday is fine.\n")  # fmt: skip
        out.append(Event(answer_at, "Sent", raw))
    if "charlie@wonka.example" in to and "paused work" in _text(client_mail):
        bank_at = when + timedelta(days=2)
        raw = mail("Bank <noreply@bank.example>", ME, "Payment received: INV-200",
                   message_id="<bank-200@bank>", date=bank_at,
                   body="Incoming transfer 3,000 GBP, reference INV-200.\n")  # fmt: skip
        out.append(Event(bank_at, "INBOX", raw))
    return out


def _text(msg: EmailMessage) -> str:
    body = msg.get_body(("plain",))
    assert body is not None
    return str(body.get_content()).replace("\r\n", "\n")


def reset_reactions() -> None:
    for name in ("umbrella", "siam", "initech", "wonka"):
        if hasattr(reactions, name):
            delattr(reactions, name)


@dataclass(frozen=True)
class Received:
    cycle: datetime
    client: str
    zone: str
    to: str
    subject: str
    greeting: str
    says: str
    body: str


def _received(db: Path, zones: dict[str, str], got: Any, cycle: datetime) -> Received:
    msg: EmailMessage = got.message
    mid = str(msg["Message-ID"])
    with sqlite3.connect(db) as con:
        oid, client, template = con.execute(
            "SELECT id, client, template FROM outbox WHERE message_id = ?", (mid,)
        ).fetchone()
        slots = con.execute(
            "SELECT ladder, step FROM outbox_slot WHERE outbox_id = ? ORDER BY ladder", (oid,)
        ).fetchall()
    text = _text(msg)
    lines = [line for line in text.splitlines() if line.strip()]
    carries = ", ".join(f"{ladder} step {step}" for ladder, step in slots)
    return Received(cycle, client, zones[client], str(msg["To"]), str(msg["Subject"]),
                    lines[0], f"{template} ({carries})", text)  # fmt: skip


def write(messages: list[Received]) -> str:
    out = [
        "# What each client received over six weeks (tests/integration/test_transcript.py).",
        "# Local date and time in the client's zone; the user is in Asia/Tbilisi.",
        "",
    ]
    for m in messages:
        local = m.cycle.astimezone(ZoneInfo(m.zone))
        out.append(f"{local:%a %d %b %H:%M} {m.zone}  {m.client} <{m.to}>")
        out.append(f"    Subject:  {m.subject}")
        out.append(f"    Greeting: {m.greeting}")
        out.append(f"    Says:     {m.says}")
        out.append(textwrap.indent(m.body.rstrip("\n"), "    | ", lambda _line: True))
        out.append("")
    return "\n".join(out)


async def run_story(directory: Path, imap: Any, smtp: Any) -> list[Received]:
    config_path = directory / "config.toml"
    config_path.write_text(
        CONFIG.format(db=directory / "gw.db", me=ME, imap_host=imap.host, imap_port=imap.port,
                      imap_user=imap.user, smtp_port=smtp.port),
        encoding="utf-8",
    )  # fmt: skip
    assert cli.main(["--config", str(config_path), "check-config"]) == 0
    config = load_config(config_path)
    zones = {c.name: str(c.timezone) for c in config.clients}
    pending = story()
    reset_reactions()
    got: list[Received] = []
    app = App.open(config)
    try:
        for day in range(DAYS):
            if day == 21:  # Mon 23 Nov: Globex's three invoices are marked paid by hand
                for number in ("INV-101", "INV-102", "INV-103"):
                    when = at(day, 6)
                    argv = ["--config", str(config_path), "paid", "Globex", number]
                    assert cli.main([*argv, "--now", when.isoformat()]) == 0
            for hour in CYCLE_HOURS:
                now = at(day, hour)
                due = [ev for ev in pending if ev.when <= now]
                pending = [ev for ev in pending if ev.when > now]
                for ev in due:
                    imap.append(ev.folder, ev.raw, internal_date=ev.when)
                before = len(smtp.messages)
                report = await app.cycle(now)
                assert report.ok, report.accounts[0].error
                for item in smtp.messages[before:]:
                    if item.rcpt_tos == [ME]:
                        continue  # the user's daily summary
                    got.append(_received(directory / "gw.db", zones, item, now))
                    pending = sorted(pending + reactions(item.message, now), key=lambda e: e.when)
    finally:
        app.close()
    return got


def check_one_voice(messages: list[Received]) -> None:
    by_client: dict[str, list[Received]] = defaultdict(list)
    for m in messages:
        by_client[m.client].append(m)
    for client, mine in by_client.items():
        cycles = [m.cycle for m in mine]
        assert len(cycles) == len(set(cycles)), f"{client}: two messages in one cycle"
        for a, b in itertools.pairwise(mine):
            assert b.cycle - a.cycle >= MIN_GAP, f"{client}: {a.cycle} and {b.cycle} within the gap"
        # no silence nudge between a payment step and the end of that conversation
        paid_talk = [m for m in mine if m.says.startswith(("payment_reminder", "work_paused"))]
        if paid_talk:
            first = paid_talk[0].cycle
            later_silence = [
                m for m in mine if m.cycle > first and m.says.startswith(("check_in", "closing"))
            ]
            assert not later_silence, f"{client}: a silence nudge during a payment conversation"
        # nothing after work paused until it is paid, and then only the thank-you
        paused = [m for m in mine if m.says.startswith("work_paused")]
        if paused:
            after = [m for m in mine if m.cycle > paused[-1].cycle]
            assert all(m.says.startswith("work_resumed") for m in after), client
        for m in mine:
            assert client.split()[0] not in m.greeting, f"{client}: greeted as a company"


async def test_six_weeks_of_eight_clients_read_as_they_arrived(
    imap_server: Any, smtp_server: Any, tmp_path: Path
) -> None:
    messages = await run_story(tmp_path, imap_server, smtp_server)
    text = write(messages)
    if os.environ.get("GHOSTWATCH_UPDATE_TRANSCRIPT") == "1":
        TRANSCRIPT.write_text(text, encoding="utf-8", newline="\n")
    check_one_voice(messages)
    assert TRANSCRIPT.exists(), "no transcript yet: run with GHOSTWATCH_UPDATE_TRANSCRIPT=1"
    expected = TRANSCRIPT.read_text(encoding="utf-8")
    assert text == expected, "what clients receive changed: review, then update the transcript"
    # the headline cases, stated once more in words
    says = [(m.client, m.says.split(" ")[0], m.greeting) for m in messages]
    assert ("Acme Ltd", "check_in", "Hi Jane,") in says
    assert next(s for s in says if s[0] == "Globex")[1:] == ("payment_reminder", "Hello,")
    umbrella = [m for m in messages if m.client == "Umbrella Studio"]
    assert [m.says.split(" ")[0] for m in umbrella][:2] == ["check_in", "check_in"]
    assert "Welcome back" in umbrella[1].body
    assert not [m for m in messages if m.client == "Hooli"]
