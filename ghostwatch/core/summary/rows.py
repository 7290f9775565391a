"""The daily summary's rows: ``SummaryData`` in, the values both templates render out.
PURE: no I/O, no clock (``now`` is given, aware UTC).

``view`` is the one source of the HTML and the text part (``core/summary/render.py``
Rule 1: same facts, same order). Every string that came from a client, a mailbox or a
server passes through ``clean`` here (Rule 2); the words are the user's language
(``Words``). Sections, in order: what needs you (replies owed, bouncing addresses,
unreadable mail, newly ghosted clients, promises, mail after an invoice fell due,
refused command replies), sent, going out, waiting (longest silence first), invoices,
account health.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ghostwatch.core import command_words, i18n
from ghostwatch.core.reasons import LOGIN_HINTS
from ghostwatch.core.summary.facts import (
    DAY,
    TRACK_COLOUR,
    ClientInfo,
    DeliveryInfo,
    HealthInfo,
    InvoiceInfo,
    LoginRefusedInfo,
    NudgeInfo,
    SummaryData,
    bar_segments,
    clean,
    text_bar,
    tick_labels,
    unusually_quiet,
    usual_reply_time,
)
from ghostwatch.core.summary.words import Words

__all__ = ["view"]

_TONES = {
    "sent": "ok",
    "drafted": "ok",
    "failed": "bad",
    "unknown": "warn",
    "held": "warn",
    "planned": "warn",
    "sending": "warn",
}


def view(data: SummaryData, now: datetime) -> dict[str, Any]:
    """Return the rows both templates render (Rule 1); raise ValueError if ``now`` is naive."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    w = Words(data.language, ZoneInfo(data.timezone))
    needs = _needs(data, now, w)
    sent = [_nudge_row(n, w) for n in sorted(data.sent, key=lambda n: (n.at, n.client))]
    upcoming = [
        _nudge_row(n, w)
        for n in sorted(data.upcoming, key=lambda n: (n.status == "held", n.at, n.client))
    ]
    waiting, earlier = _waiting(data, now, w)
    today = now.astimezone(w.zone).date()
    invoices = _invoices(data, today, w)
    labels = command_words.assign(needs, upcoming, invoices) if data.token else {}
    counts = {"needs": len(needs), "sent": len(sent), "next": len(upcoming)}
    subject = w._(
        "ghostwatch {date}: {needs} need you, {sent} sent, {next} going out",
        date=w.day(today),
        **counts,
    )
    return {
        "t": w.headings(),
        "lang": data.language,
        "subject": subject,
        "date": w.full_date(today),
        "for_account": w._("for {account}", account=clean(data.account)),
        "times_in": w._("Times in {zone}.", zone=w.zone_name()),
        "counts": [
            (len(needs), w._("need you"), "warn" if needs else "ok"),
            (len(sent), w.pgettext("tile", "sent"), "info"),
            (len(upcoming), w._("going out"), "info"),
            (len(waiting), w.pgettext("tile", "waiting"), "info"),
        ],
        "needs": needs,
        "sent": sent,
        "next": upcoming,
        "waiting": waiting,
        "ghosted_earlier": w._("Ghosted earlier: {names}", names=", ".join(earlier))
        if earlier
        else "",
        "invoices": invoices,
        "health": [_health_row(h, w) for h in data.health],
        "track": TRACK_COLOUR,  # the HTML restyles the bar's empty part in dark mode
        "labels": labels,
        "commands": command_words.help_line(w, data.token, labels) if data.token else None,
    }


def _row(client: str, label_: str, detail: str, tone: str, when: str = "") -> dict[str, str]:
    # "name": the client as configured, for a command label (command_words.assign)
    row = {"client": clean(client), "label": label_, "detail": detail, "tone": tone}
    return {**row, "when": when, "name": client, "cmd": ""}


def _is_new(at: datetime | None, since: datetime | None) -> bool:
    return at is not None and (since is None or at >= since)


def _needs(data: SummaryData, now: datetime, w: Words) -> list[dict[str, str]]:
    """Replies owed (oldest first), bouncing addresses, client mail that could not be
    read, clients who went ghosted since the last summary, clients who wrote after an
    unpaid invoice fell due."""
    rows = _owed_rows(data, now, w) + _client_problem_rows(data, w)
    rows += _invoice_need_rows(data, w)
    rows += [_delivery_row(p, w) for p in data.deliveries]
    for r in data.refusals:
        detail = command_words.refusal_text(w, r.reason, clean(r.sender))
        row = _row(r.sender, w._("Reply to the summary refused"), detail, "bad", w.at(r.at))
        rows.append({**row, "name": ""})  # not a client: no label
    return rows


def _owed_rows(data: SummaryData, now: datetime, w: Words) -> list[dict[str, str]]:
    """Replies the user owes, oldest first."""
    rows = []
    owed = [c for c in data.clients if c.waiting_on == "you" and c.last_inbound is not None]
    for c in sorted(owed, key=lambda c: (c.last_inbound, c.name)):
        assert c.last_inbound is not None
        days = w.days((now - c.last_inbound) // DAY)
        detail = w._(
            "“{subject}”, waiting {days}", subject=clean(c.their_subject) or "…", days=days
        )
        rows.append(_row(c.name, w._("Reply owed"), detail, "warn", w.day(c.last_inbound)))
    return rows


def _client_problem_rows(data: SummaryData, w: Words) -> list[dict[str, str]]:
    """Bouncing addresses, then unreadable client mail, then newly ghosted clients."""
    rows = []
    for c in data.clients:
        for address, since in c.bouncing:
            detail = w._(
                "{address} bounces since {when}; no nudges go to it. Fix the address.",
                address=clean(address),
                when=w.day(since),
            )
            rows.append(_row(c.name, w._("Bouncing address"), detail, "bad"))
    for c in data.clients:
        for on in c.unreadable:
            detail = w._(
                "Their message of {when} could not be read; please look at it in your "
                "mailbox. No nudges go to them meanwhile.",
                when=w.day(on),
            )
            rows.append(_row(c.name, w._("Message could not be read"), detail, "warn"))
    for c in data.clients:
        if c.state == "ghosted" and _is_new(c.ghosted_at, data.since):
            sent = w.day(c.last_outbound) if c.last_outbound else "…"
            detail = w._("No answer since your message of {when}; no more nudges.", when=sent)
            rows.append(_row(c.name, w._("Went ghosted"), detail, "bad"))
    return rows


def _invoice_need_rows(data: SummaryData, w: Words) -> list[dict[str, str]]:
    """Promises to pay on record, and client mail after an unpaid invoice fell due."""
    rows = []
    for inv in data.invoices:
        if inv.paid_at is None and inv.expected_by is not None:
            rows.append(_promise_row(inv, w))
        elif inv.paid_at is None and inv.replied_at is not None:
            detail = w._(
                "On {when}, after {number} ({amount}) fell due on {due}. "
                "Check whether it was paid.",
                when=w.day(inv.replied_at),
                number=clean(inv.number),
                amount=clean(inv.amount),
                due=w.day(inv.due),
            )
            rows.append(_row(inv.client, w._("Wrote after an invoice fell due"), detail, "warn"))
    return rows


def _promise_row(inv: InvoiceInfo, w: Words) -> dict[str, str]:
    """A promise to pay on record, quoted, so the user can see and correct it."""
    assert inv.expected_by is not None
    day = w.day(inv.expected_by)
    if inv.promise:
        detail = w._(
            "“{sentence}” → expected by {when} ({number}); correct it with ghostwatch expect.",
            sentence=clean(inv.promise),
            when=day,
            number=clean(inv.number),
        )
    else:
        detail = w._(
            "{number}: expected by {when} (set by you).", number=clean(inv.number), when=day
        )
    return _row(inv.client, w._("Promised to pay"), detail, "info")


def _delivery_row(p: DeliveryInfo, w: Words) -> dict[str, str]:
    """A promise to deliver on record, quoted, so the user can see and correct it."""
    day = w.day(p.expected_by)
    if p.promise:
        detail = w._(
            "“{sentence}” → {what} expected by {when}; correct it with ghostwatch expect.",
            sentence=clean(p.promise),
            what=clean(p.what),
            when=day,
        )
    else:
        detail = w._("{what}: expected by {when} (set by you).", what=clean(p.what), when=day)
    return _row(p.client, w._("Promised to deliver"), detail, "info")


def _nudge_row(n: NudgeInfo, w: Words) -> dict[str, str]:
    if n.why or w.language == i18n.SOURCE:
        detail = w.reason(n.client, n.why, n.reason)
    else:
        # A nudge recorded before reasons were data (the outbox keeps English text):
        # that text is not shown to a reader of another language; where it went is.
        detail = w._("to {address}", address=clean(n.to)) if n.to else ""
    row = _row(n.client, w.label(n.template), detail, _TONES.get(n.status, "info"))
    row["when"] = w.at(n.at)
    row["status"] = w.nudge_status(n.status)
    row["to"] = clean(n.to)
    row["template"] = n.template
    return row


def _state(c: ClientInfo, w: Words) -> str:
    if c.state == "nudged":
        steps = max(len(c.ladder_days) - 1, c.step)
        return w._("nudged {step} of {steps}", step=c.step, steps=steps)
    if c.state == "away" and c.until is not None:
        return w._("away until {when}", when=w.day(c.until))
    if c.state == "held":
        return w._("held until you resume it")  # ``hold`` (docs/commands.md)
    if c.state == "snoozed" and c.until is not None:
        return w._("snoozed until {when}", when=w.day(c.until))
    words = {
        "ok": w.pgettext("state", "ok"),
        "waiting": w.pgettext("state", "waiting"),
        "nudged": w.pgettext("state", "nudged"),
        "away": w.pgettext("state", "away"),
        "snoozed": w.pgettext("state", "snoozed"),
        "bouncing": w.pgettext("state", "bouncing"),
        "ghosted": w.pgettext("state", "ghosted"),
        "paused": w.pgettext("state", "work paused"),
    }
    return words.get(c.state, clean(c.state))


def _waiting(data: SummaryData, now: datetime, w: Words) -> tuple[list[dict[str, Any]], list[str]]:
    """Clients we wait on, longest silence first; and the names of clients ghosted
    before the last summary (listed once, in a line, not as rows)."""
    rows: list[dict[str, Any]] = []
    earlier: list[str] = []
    for c in data.clients:
        if c.waiting_on != "client" or c.last_outbound is None:
            continue
        if c.state == "ghosted":
            if not _is_new(c.ghosted_at, data.since):
                earlier.append(clean(c.name))
            continue
        rows.append(_waiting_row(c, now - c.last_outbound, w))
    rows.sort(key=lambda r: (-r["silence_days"], r["client"]))
    return rows, earlier


def _waiting_row(c: ClientInfo, silence: timedelta, w: Words) -> dict[str, Any]:
    days = silence / DAY
    usual = usual_reply_time(c.history)
    # Away or snoozed clients are quiet by arrangement, bouncing ones cannot answer.
    quiet = c.state in ("waiting", "nudged") and unusually_quiet(silence, usual)
    nxt = ""
    if c.next_template and c.next_at is not None:
        nxt = w._("next: {what} {when}", what=w.label(c.next_template), when=w.at(c.next_at))
    tone = "bad" if c.state == "bouncing" else "warn" if quiet or c.state == "nudged" else "info"
    detail = w._(
        "{days} since your message “{subject}”",
        days=w.days(int(days)),
        subject=clean(c.subject) or "…",
    )
    usual_text = ""
    if usual:
        usual_text = w._(
            "usually answers within {usual}; now {now}", usual=w.span(usual), now=w.days(int(days))
        )
    return {
        "client": clean(c.name),
        "detail": detail,
        "state": _state(c, w),
        "tone": tone,
        "usual": usual_text,
        "quiet": quiet,
        "next": nxt,
        "bar": bar_segments(days, c.ladder_days),
        "ticks": tick_labels(days, c.ladder_days, w.short_days),
        "text_bar": text_bar(days, c.ladder_days),
        "thresholds": "/".join(w.short_days(t) for t in c.ladder_days),
        "silence_days": days,
    }


def _invoice_status(inv: InvoiceInfo, today: date, w: Words) -> tuple[str, str]:
    if inv.paid_at is not None:
        return w._("paid {when}", when=w.day(inv.paid_at)), "ok"
    if inv.due < today:
        return w._("overdue {days}", days=w.days((today - inv.due).days)), "bad"
    if inv.due == today:
        return w._("due today"), "warn"
    return w._("due in {days}", days=w.days((inv.due - today).days)), "info"


def _invoices(data: SummaryData, today: date, w: Words) -> list[dict[str, str]]:
    """Unpaid invoices (overdue first, by due date), then those paid since the last summary."""
    rows = []
    for inv in sorted(data.invoices, key=lambda i: (i.paid_at is not None, i.due, i.number)):
        if inv.paid_at is not None and not _is_new(inv.paid_at, data.since):
            continue
        status, tone = _invoice_status(inv, today, w)
        row = _row(inv.client, clean(inv.number), clean(inv.amount), tone, w.day(inv.due))
        row["status"] = status
        row["due"] = w._("due {when}", when=row["when"])
        row["number"], row["paid"] = inv.number, "yes" if inv.paid_at is not None else ""
        rows.append(row)
    return rows


def _health_row(h: HealthInfo, w: Words) -> dict[str, Any]:
    notes: list[tuple[str, str]] = []
    if h.stale:
        notes.append((w._("stale: no nudges until the mailbox is read again"), "bad"))
    if h.paused:
        notes.append((w._("paused: no nudges go out"), "warn"))
    for r in h.refused:
        notes.append((_refused_note(r, w), "bad"))
    if h.error and not h.refused:  # a refused login is the error: said above, in words
        when = w.at(h.error_at) if h.error_at else "…"
        notes.append((w._("error {when}: {error}", when=when, error=clean(h.error)), "bad"))
    if h.unknown:
        text = w.ngettext(
            "{n} nudge of unknown outcome", "{n} nudges of unknown outcome", h.unknown
        )
        notes.append((text, "warn"))
    if h.failed:
        notes.append((w.ngettext("{n} failed nudge", "{n} failed nudges", h.failed), "bad"))
    last = w.at(h.last_sync) if h.last_sync else w._("never")
    return {
        "account": clean(h.account),
        "last_sync": w._("last sync {when}", when=last),
        "notes": [{"text": text, "tone": tone} for text, tone in notes] or [],
        "tone": max((tone for _, tone in notes), key=("ok", "warn", "bad").index, default="ok"),
    }


def _refused_note(r: LoginRefusedInfo, w: Words) -> str:
    server = "IMAP" if r.protocol == "imap" else "SMTP"
    advice = w.pgettext(
        "login_hint", LOGIN_HINTS.get(r.hint, LOGIN_HINTS["password"]), **dict(r.params)
    )
    text = w._(
        "{server} login refused since {when}: {advice}. Next try {next}.",
        server=server,
        when=w.at(r.since),
        advice=advice,
        next=w.at(r.retry_at),
    )
    return f"{text} ({clean(r.detail)})" if r.detail else text
