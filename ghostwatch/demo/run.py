"""``ghostwatch demo``: the whole flow on a throwaway local mailbox, no account needed.

It starts an in-memory IMAP server and a recording SMTP server on loopback
(``demo_servers``), fills the mailbox with a few weeks of conversations
(``demo_data``), writes a real configuration, and runs the real daemon code
(``App.cycle``) on a simulated clock over three weeks, jumping from one instant at
which something can happen to the next. It narrates what the daemon did and leaves
the nudges (``.eml``), the daily summary and the database in one folder.

Nothing here decides anything: every nudge, hold and ghosting comes from the daemon.
"""

from __future__ import annotations

import asyncio
import os
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from babel.dates import get_timezone_location

from ghostwatch.app import summary, views
from ghostwatch.app.bootstrap import App
from ghostwatch.app.reports import CycleReport
from ghostwatch.config.loader import load_config
from ghostwatch.core import policy, reasons
from ghostwatch.core.domain import Action, Decision, LadderKind, OutboxStatus
from ghostwatch.core.views import StatusRow
from ghostwatch.demo import data as demo_data
from ghostwatch.demo.data import Mail
from ghostwatch.demo.servers import MailStack
from ghostwatch.errors import ConfigError, cannot_write

LANGUAGES = {"ka": "Georgian", "th": "Thai"}
MAX_CYCLES = 500  # a guard: the story needs about 80
STYLES = {"sent": "32", "reply": "36", "warn": "33", "bad": "31", "dim": "2", "bold": "1"}


def default_out(now: datetime) -> Path:
    return Path(f"ghostwatch-demo-{now:%Y%m%d-%H%M%S}")


def local(at: datetime) -> datetime:
    return at.astimezone(ZoneInfo(demo_data.ZONE))


def when(at: datetime) -> str:
    """``Mon 2 Nov 13:30`` in the account's time zone."""
    t = local(at)
    return f"{t:%a} {t.day} {t:%b} {t:%H:%M}"


def city(zone: str) -> str:
    """The city a zone is named after, as CLDR writes it ("America/New_York" -> "New York")."""
    return str(get_timezone_location(zone, locale="en", return_city=True))


def both_zones(at: datetime, zone: str) -> str:
    """When ``at`` is for the client and for you: "Fri 6 Nov 10:40 in New York, 19:40
    yours" (with your day too when it differs); just yours when the clocks agree."""
    theirs, ours = at.astimezone(ZoneInfo(zone)), local(at)
    if theirs.replace(tzinfo=None) == ours.replace(tzinfo=None):
        return when(at)
    mine = f"{ours:%H:%M}" if ours.date() == theirs.date() else when(at)
    return f"{theirs:%a} {theirs.day} {theirs:%b} {theirs:%H:%M} in {city(zone)}, {mine} yours"


def day(at: datetime) -> str:
    t = local(at)
    return f"{t:%a} {t.day} {t:%b}"


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass
class Narrator:
    """Writes the calm, readable story of the run: one line per thing that happened."""

    out: TextIO
    app: App
    color: bool
    _last_when: str = ""
    _seen_holds: set[tuple[str, str, int]] = field(default_factory=set)

    def paint(self, text: str, style: str) -> str:
        return f"\033[{STYLES[style]}m{text}\033[0m" if self.color else text

    def say(self, text: str = "", style: str | None = None) -> None:
        print(self.paint(text, style) if style else text, file=self.out, flush=True)

    def event(self, at: datetime, mark: str, text: str, style: str) -> None:
        stamp = when(at)
        shown = stamp if stamp != self._last_when else ""
        self._last_when = stamp
        self.say(f"{shown:<16} {self.paint(mark, style)} {text}")

    def mail(self, mail: Mail) -> None:
        if mail.folder == "Sent":
            text = f"you sent “{mail.subject}”"
        else:
            text = f"new mail from {mail.sender}: “{mail.subject}”"
        self.event(mail.at, "✉", self.paint(text, "dim"), "dim")

    def language(self, client: str) -> str:
        lang = self.app.config.client(client).language
        return f", in {LANGUAGES[lang]}" if lang in LANGUAGES else ""

    def cycle(
        self, report: CycleReport, before: Sequence[StatusRow], after: Sequence[StatusRow]
    ) -> None:
        for acc in report.accounts:
            if acc.error:
                self.event(report.now, "!", f"could not read the mailbox: {acc.error}", "bad")
            for delivery in acc.deliveries:
                self.delivered(report.now, delivery.decision, delivery.status)
            for name in acc.ghosted:
                text = f"{name} marked ghosted: no more nudges; it is in your summary"
                self.event(report.now, "✗", text, "bad")
            self.holds(report.now, acc.decisions)
        old = {r.client: r for r in before}
        for row in after:
            self.changed(report.now, old.get(row.client), row)

    def delivered(self, now: datetime, d: Decision, status: OutboxStatus | None) -> None:
        name = reasons.label(d.template or "")
        if status is not OutboxStatus.SENT:
            state = status.value if status else "skipped"
            self.event(now, "×", f"{name} to {d.client}: {state}", "warn")
            return
        at = both_zones(now, self.zone(d.client))
        theirs = f", {at}" if at != when(now) else ""  # the line starts with your time
        text = f"{name} sent to {d.client}{theirs} ({why(d, now)}{self.language(d.client)})"
        self.event(now, "→", text, "sent")

    def zone(self, client: str) -> str:
        """The client's time zone (theirs, else the rules' default)."""
        return self.app.config.rules_for(self.app.config.client(client)).timezone

    def next_text(self, row: StatusRow) -> str:
        """``; next: check-in Mon 16 Nov 09:00 in London, 12:00 yours`` ("" if nothing)."""
        nxt = row.next_action
        if not nxt:
            return ""
        at = both_zones(parse_iso(nxt.at), self.zone(row.client))
        return f"; next: {reasons.label(nxt.kind)} {at}"

    def holds(self, now: datetime, decisions: Sequence[Decision]) -> None:
        for d in decisions:
            key = (d.client, d.ladder, d.step)
            if d.action is not Action.HOLD or d.at > now or key in self._seen_holds:
                continue
            self._seen_holds.add(key)
            reason = d.reason.rpartition("held: ")[2].removeprefix(f"{d.client}: ")
            what = f"{reasons.label(d.template)} for {d.client}" if d.template else d.client
            self.event(now, "‖", f"{what} held: {reason}", "warn")

    def changed(self, now: datetime, old: StatusRow | None, new: StatusRow) -> None:
        if old is None:
            return
        name = new.client
        if new.waiting_on == "you" and old.waiting_on != "you":
            stop = "the nudges stop" if old.step else "no nudge needed"
            self.event(now, "←", f"{name} replied: the ball is in your court; {stop}", "reply")
        elif new.waiting_on == "client" and old.waiting_on != "client":
            self.event(now, "·", f"waiting for {name} to answer{self.next_text(new)}", "dim")
        if new.state == "away" and old.state != "away":
            self.event(now, "☂", f"{name} is away{self.until(new)}{self.next_text(new)}", "warn")
        for address in sorted(set(new.bouncing) - set(old.bouncing)):
            self.event(
                now, "⚠", f"{name}: {address} bounced (user unknown): no nudges to it", "bad"
            )

    def until(self, row: StatusRow) -> str:
        """`` until 13 Nov (auto-reply)``: the return date, in the client's own zone."""
        if not row.away_until:
            return " (auto-reply)"
        back = parse_iso(row.away_until).astimezone(ZoneInfo(self.zone(row.client))) - timedelta(
            days=1
        )
        return f" until {back.day} {back:%b} (auto-reply); nudges wait"


def why(d: Decision, now: datetime) -> str:
    """The plain-language reason for a nudge, for the story line."""
    if d.kind is LadderKind.INVOICE and d.invoice is not None:
        inv = d.invoice
        return f"invoice {inv.number}, {inv.amount}, due {inv.due.day} {inv.due:%b}, unpaid"
    if d.kind is LadderKind.DEADLINE and d.deadline is not None:
        return f"{d.deadline.what} was due {d.deadline.due.day} {d.deadline.due:%b}"
    if d.thread is None:
        return d.reason
    days = (now - d.thread.sent_at).days
    return f"{days} days since your message of {day(d.thread.sent_at)}"


# --- the simulation ------------------------------------------------------------------


def next_instant(app: App, now: datetime, pending: Sequence[Mail]) -> datetime:
    """The next instant worth a cycle: a decision falls due, mail arrives, or a new day."""
    tomorrow = local(now).replace(hour=8, minute=0, second=0, microsecond=0) + timedelta(days=1)
    candidates = [tomorrow.astimezone(UTC)]
    candidates += [m.at for m in pending if m.at > now]
    for account in app.config.accounts:
        decisions = app.decide(account, now)
        wake = policy.next_wakeup(decisions, now)
        candidates += [wake] if wake is not None else []
        # A held nudge changes nothing, but the story tells it when it would have gone.
        candidates += [d.at for d in decisions if d.action is Action.HOLD and d.at > now]
    return max(min(candidates), now + timedelta(minutes=1))


async def simulate(app: App, stack: MailStack, narrator: Narrator) -> tuple[int, int]:
    """Run the daemon's cycle from START to END on a simulated clock; return how many
    cycles ran and how many of them failed."""
    pending = [m for m in demo_data.all_mail() if m.at >= demo_data.START]
    now, cycles, failed = demo_data.START, 0, 0
    rows: list[StatusRow] = []
    while now <= demo_data.END and cycles < MAX_CYCLES:
        while pending and pending[0].at <= now:
            mail = pending.pop(0)
            # Blocking, briefly: the servers run on their own thread and loop.
            stack.append(mail.folder, mail.raw, mail.at)
            narrator.mail(mail)
        report = await app.cycle(now)
        after = views.status_rows(app, now)
        # The first cycle reads the mailbox as found: an overview, not a list of changes.
        narrator.cycle(report, rows if cycles else after, after)
        if cycles == 0:
            overview(narrator, report, after)
        rows, cycles, failed = after, cycles + 1, failed + (not report.ok)
        now = next_instant(app, now, pending)
    return cycles, failed


def overview(narrator: Narrator, report: CycleReport, rows: Sequence[StatusRow]) -> None:
    stored = sum(a.sync.stored for a in report.accounts if a.sync)
    narrator.event(
        report.now, "✓", f"read the mailbox: {stored} messages, {len(rows)} clients", "bold"
    )
    for row in rows:
        waiting = {"you": "you owe them a reply", "client": "waiting for them"}.get(
            row.waiting_on or "", "no conversation yet"
        )
        narrator.say(f"{'':<18}{row.client:<16} {waiting}{narrator.next_text(row)}")


# --- what is left in the folder ------------------------------------------------------


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")


def write_nudges(app: App, stack: MailStack, folder: Path) -> list[Path]:
    """Write every nudge the SMTP server accepted as an .eml file, in sending order,
    named ``NN-<local date>-<template>-<client>.eml``; the daily summary emails sent
    to you along the way go to ``summaries/`` beside it."""
    rows = {r.message_id: r for a in app.config.accounts for r in app.store.outbox_all(a.name)}
    folder.mkdir(exist_ok=True)
    paths = []
    for n, accepted in enumerate(stack.accepted, 1):
        found = re.search(rb"^Message-ID:\s*(<[^>]+>)", accepted.raw, re.I | re.M)
        row = rows.get(found.group(1).decode() if found else "")
        if row is None:  # the daily summary, sent to the account itself
            summaries = folder.parent / "summaries"
            summaries.mkdir(exist_ok=True)
            (summaries / f"{n:02d}-summary.eml").write_bytes(accepted.raw)
            continue
        stamp = local(row.sent_at or row.planned_at)
        who = slug(row.client) or slug(row.to_addr)  # Georgian or Thai names: the address
        path = folder / f"{n:02d}-{stamp:%Y-%m-%d}-{row.template}-{who}.eml"
        path.write_bytes(accepted.raw)
        paths.append(path)
    return paths


def write_summary(app: App, now: datetime, path: Path) -> None:
    """Write the daily summary as of ``now`` as HTML."""
    summary.write_summary(app, now, path)


# --- putting it together -------------------------------------------------------------


def config_text(stack: MailStack, directory: Path) -> str:
    """A real configuration for the demo mailbox (TOML, the same file a user writes)."""
    db = directory.resolve() / "ghostwatch.db"
    return f"""\
# Written by `ghostwatch demo`. The mail servers it points at are gone; the database
# stays, so `ghostwatch --config {directory / "config.toml"} status` still works.
[database]
url = "sqlite:///{db.as_posix()}"

[[accounts]]
name = "studio"
address = "{demo_data.ME}"
display_name = "{demo_data.MY_NAME}"
timezone = "{demo_data.ZONE}"

[accounts.imap]
host = "127.0.0.1"
port = {stack.imap_port}
security = "none"                  # allowed on loopback only
username = "{stack.user}"
password = "{stack.password}"      # a throwaway in-memory mailbox
folders = {{ inbox = "INBOX", sent = "Sent", drafts = "Drafts" }}  # no SPECIAL-USE here

[accounts.smtp]
host = "127.0.0.1"
port = {stack.smtp_port}
security = "none"
username = ""

[rules]
send_window = "09:00-17:00"

[summary]
to = "{demo_data.ME}"

{demo_data.CLIENTS_TOML}"""


def prepare(out: Path) -> None:
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ConfigError([f"demo --out {out}: exists and is not an empty folder"])
    with cannot_write(out):
        out.mkdir(parents=True, exist_ok=True)


def run_demo(out: Path | None, stream: TextIO) -> int:
    """Run the demo, narrating to ``stream``; leave everything in ``out`` (default:
    a new ``./ghostwatch-demo-<timestamp>``). Return 0, or 1 if a cycle failed.

    Raise ConfigError if ``out`` exists and is not an empty folder.
    """
    started = time.monotonic()
    out = out or default_out(datetime.now(UTC))
    prepare(out)
    color = stream.isatty() and "NO_COLOR" not in os.environ
    with MailStack() as stack:
        mails = demo_data.all_mail()
        for mail in (m for m in mails if m.at < demo_data.START):
            stack.append(mail.folder, mail.raw, mail.at)
        config_path = out / "config.toml"
        config_path.write_text(config_text(stack, out), encoding="utf-8")
        app = App.open(load_config(config_path))
        try:
            narrator = Narrator(stream, app, color)
            intro(narrator, stack)
            cycles, failed = asyncio.run(simulate(app, stack, narrator))
            nudges = write_nudges(app, stack, out / "nudges")
            write_summary(app, demo_data.END, out / "summary.html")
            outro(narrator, app, out, nudges, cycles, time.monotonic() - started)
        finally:
            app.close()
    return 1 if failed else 0


def intro(narrator: Narrator, stack: MailStack) -> None:
    say = narrator.say
    say("ghostwatch demo: three weeks of a freelancer's mailbox, in a few seconds", "bold")
    say(
        f"A throwaway IMAP server (127.0.0.1:{stack.imap_port}) and SMTP server "
        f"(127.0.0.1:{stack.smtp_port}) hold {demo_data.MY_NAME}'s mail;"
    )
    say("nothing leaves this machine. The real daemon runs on a simulated clock;")
    say(f"times are {demo_data.ZONE} time. Rules: check-in after 7 days of silence,")
    say("closing notice 7 days later, ghosted 7 days after that; invoices chased 3 days")
    say("after the due date. Nudges go out on weekdays, 09:00-17:00 in the client's zone.")
    say()


def outro(
    narrator: Narrator, app: App, out: Path, nudges: Sequence[Path], cycles: int, took: float
) -> None:
    say = narrator.say
    ghosted = [r.client for r in views.status_rows(app, demo_data.END) if r.state == "ghosted"]
    say()
    say(
        f"Done: {cycles} cycles over three weeks in {took:.1f} s; {len(nudges)} nudges sent, "
        f"{len(ghosted)} client(s) ghosted.",
        "bold",
    )
    say(f"Left in {out}/:")
    say(f"  nudges/        {len(nudges)} .eml files, exactly as sent (open them in a mail app)")
    say("  summaries/     the daily summary emails, as they arrived each morning")
    say("  summary.html   the daily summary at the end of the three weeks")
    say("  config.toml    the configuration the daemon ran with; ghostwatch.db its records")
    end = demo_data.END.isoformat().replace("+00:00", "Z")
    say(f"Try: ghostwatch --config {out / 'config.toml'} status --now {end}")
