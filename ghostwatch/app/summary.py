"""The daily summary's shell: when it is due, the email that carries it, and sending it.

Delivery rules (docs/behaviour.md, "The daily summary"):
- Rule 1: one daily summary per (summary account, local date in that account's zone),
  guarded by the ``summary_log`` primary key. It is due from ``[summary].at`` on: a
  daemon that was down at that moment sends it on its first cycle later that day.
- Rule 2: record first, then send (as the outbox does). The row, holding a Message-ID
  derived from (account, date), is inserted before SMTP is spoken; a process that
  loses the insert race sends nothing. A crash between the insert and the server's
  acceptance loses that day's summary rather than risking a second copy: at most
  once, never twice. The next day's summary still lists every nudge (it counts
  "sent since" from the recorded time).
- Rule 3: a failure that certainly delivered nothing (connection refused, 4xx, login
  refused) is recorded as ``summary.failed`` with ``retry: true`` and tried again
  with the same Message-ID, at most MAX_ATTEMPTS times a day, RETRY_AFTER apart. A
  5xx or an unknown outcome is final for the day (and shown by ``status`` logs).
- Rule 4: ``summary --send`` (on demand) does not count as the daily summary: it has
  a fresh Message-ID, is not put in summary_log, and is logged as a ``summary.sent``
  event with ``on_demand: true``. ``summary --out`` writes HTML and records nothing.
- Rule 5: nothing is sent or recorded when ``[summary].enabled = false``, with
  ``--dry-run``, or when the summary account has ``dry_run = true``. A *paused*
  account still sends its summary: pause stops nudges to clients, and the summary
  (to the user) is where the pause is reported.
"""

from __future__ import annotations

import email.utils
import hashlib
import uuid
from dataclasses import replace
from datetime import date, datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import structlog

from ghostwatch.app import mail_commands
from ghostwatch.app.endpoints import smtp_endpoint
from ghostwatch.app.summary_collect import Sources, collect
from ghostwatch.config.loader import AccountConfig
from ghostwatch.core import render
from ghostwatch.core.records import SummaryRecord
from ghostwatch.core.summary.due import due_at, local_day, next_due
from ghostwatch.core.summary.render import Summary, build_summary
from ghostwatch.errors import (
    GhostwatchError,
    SendError,
    SendOutcomeUnknown,
    SendRejected,
    cannot_write,
)

__all__ = [
    "MAX_ATTEMPTS",
    "RETRY_AFTER",
    "SummaryApp",
    "collect",
    "maybe_send_summary",
    "next_summary_at",
    "send_summary",
    "write_summary",
]

log = structlog.get_logger(__name__)

MAX_ATTEMPTS = 5
RETRY_AFTER = timedelta(minutes=10)
SUMMARY_HEADER = "X-Ghostwatch-Summary"


class SummaryApp(Sources, mail_commands.Replies, Protocol):
    """What the daily summary needs of the App: its facts' sources, and what the keys
    of its commands and the mailer need (``mail_commands.Replies``)."""


def build(app: SummaryApp, now: datetime, *, keyed: bool = False) -> Summary:
    """Return the summary at ``now``. ``keyed`` (and ``[summary].commands`` on): it
    carries a fresh one-time key and command labels; ``_issue`` stores them once the
    summary is certain to be ours to send (docs/commands.md)."""
    data = collect(app, now)
    if keyed and app.config.summary.commands:
        data = replace(data, token=mail_commands.new_token())
    return build_summary(data, now)


def _issue(app: SummaryApp, summary: Summary, message_id: str, now: datetime) -> None:
    """Store the key of ``summary`` (hashed) under ``message_id``: it replaces every
    earlier key of the account."""
    if summary.token:
        mail_commands.issue(app, message_id, summary.token, summary.labels, now)


def write_summary(app: SummaryApp, now: datetime, path: Path | str) -> Path:
    """Write the summary's HTML to ``path`` (and nothing else: no record, no send)."""
    target = Path(path)
    html = build(app, now).html
    with cannot_write(target):
        target.write_text(html, encoding="utf-8")
    return target


def daily_message_id(account: AccountConfig, now: datetime) -> str:
    """The fixed Message-ID of the account's daily summary for ``now``'s local date."""
    day = local_day(now, account.timezone)
    tag = hashlib.sha256(account.name.encode()).hexdigest()[:12]
    return render.make_message_id(_domain(account), f"summary{day:%Y%m%d}{tag}")


def _domain(account: AccountConfig) -> str:
    return account.address.rpartition("@")[2] or "ghostwatch.invalid"


def message(app: SummaryApp, summary: Summary, message_id: str, now: datetime) -> EmailMessage:
    """The summary as an email from the summary account to ``[summary].to``."""
    account = app.config.summary_account()
    user, _, domain = account.address.rpartition("@")
    to_user, _, to_domain = app.config.summary_to().rpartition("@")
    msg = EmailMessage(policy=render.POLICY)
    msg["From"] = Address(render.sanitize_header(account.name_in() or "ghostwatch"), user, domain)
    msg["To"] = Address("", to_user, to_domain)
    msg["Subject"] = render.sanitize_header(summary.subject)
    msg["Date"] = email.utils.format_datetime(now.astimezone(ZoneInfo(account.timezone)))
    msg["Message-ID"] = message_id
    # Machine-made mail to the user: auto-responders must not answer it (RFC 3834).
    msg["Auto-Submitted"] = "auto-generated"
    msg[SUMMARY_HEADER] = local_day(now, account.timezone).isoformat()
    msg.set_content(summary.text, subtype="plain", charset="utf-8")
    msg.add_alternative(summary.html, subtype="html", charset="utf-8")
    return msg


async def _send(app: SummaryApp, msg: EmailMessage) -> None:
    mailer = app.mailer_factory(smtp_endpoint(app.config.summary_account(), app.logins))
    try:
        await mailer.send(msg)
    finally:
        await mailer.close()  # QUIT, also after a failed send


async def send_summary(app: SummaryApp, now: datetime) -> str:
    """Send the summary now, on demand (Rule 4); return its Message-ID. Raise a
    ``SendError`` if it was not (certainly) delivered."""
    account = app.config.summary_account()
    message_id = render.make_message_id(_domain(account), uuid.uuid4().hex)
    summary = build(app, now, keyed=True)
    msg = message(app, summary, message_id, now)
    _issue(app, summary, message_id, now)
    try:
        await _send(app, msg)
    except SendError as exc:
        _event(app, "summary.failed", now, message_id, on_demand=True, error=str(exc))
        raise
    _event(app, "summary.sent", now, message_id, on_demand=True)
    return message_id


def _event(app: SummaryApp, kind: str, now: datetime, message_id: str, **data: Any) -> None:
    account = app.config.summary_account()
    app.store.append_event(kind, at=now, account=account.name, message_id=message_id, **data)
    level = log.info if kind == "summary.sent" else log.warning
    level(kind, message_id=message_id, **data)


def _retry_at(record: SummaryRecord) -> datetime | None:
    """When a recorded summary may be sent again (Rule 3), or None if never."""
    if record.outcome != "summary.failed" or not record.outcome_data.get("retry"):
        return None
    if record.failures >= MAX_ATTEMPTS or record.outcome_at is None:
        return None
    return record.outcome_at + RETRY_AFTER


def next_summary_at(app: SummaryApp, now: datetime) -> datetime | None:
    """When the daily summary is next due (aware UTC), or None if it is disabled:
    the service loop wakes then. ``now`` when it is due already."""
    if not app.config.summary.enabled:
        return None
    account = app.config.summary_account()
    at = app.config.summary.at
    record = app.store.summary_record(account.name, local_day(now, account.timezone))
    if record is not None and (retry := _retry_at(record)) is not None:
        return max(retry, due_at(local_day(now, account.timezone), account.timezone, at))
    return next_due(now, account.timezone, at, sent_today=record is not None)


async def maybe_send_summary(app: SummaryApp, now: datetime, *, dry_run: bool = False) -> bool:
    """Send today's daily summary if it is due and not sent yet (Rules 1-3, 5); return
    True if one went out. Never raises for a mail fault: it is recorded and logged."""
    account = app.config.summary_account()
    if not app.config.summary.enabled or dry_run or account.dry_run:
        return False
    day = local_day(now, account.timezone)
    record = app.store.summary_record(account.name, day)
    if record is None:
        if now < due_at(day, account.timezone, app.config.summary.at):
            return False
        message_id = daily_message_id(account, now)
        summary = build(app, now, keyed=True)
        msg = message(app, summary, message_id, now)  # before recording: a bug here
        if not app.store.record_summary(account.name, day, now, message_id):
            return False  # another process recorded it first: it sends, we do not
        _issue(app, summary, message_id, now)  # ours to send: its key is the one
    else:
        retry = _retry_at(record)
        if retry is None or now < retry or record.message_id is None:
            return False  # sent, final, in flight elsewhere, or too soon to retry
        message_id = record.message_id
        summary = build(app, now, keyed=True)
        msg = message(app, summary, message_id, now)
        _issue(app, summary, message_id, now)
    return await _deliver(app, msg, message_id, now, day)


async def _deliver(
    app: SummaryApp, msg: EmailMessage, message_id: str, now: datetime, day: date
) -> bool:
    try:
        await _send(app, msg)
    except (SendRejected, SendOutcomeUnknown) as exc:
        _event(app, "summary.failed", now, message_id, retry=False, error=str(exc), day=day)
        return False
    except GhostwatchError as exc:  # refused connection, 4xx, login, secret: not delivered
        _event(app, "summary.failed", now, message_id, retry=True, error=str(exc), day=day)
        return False
    _event(app, "summary.sent", now, message_id, day=day)
    return True
