"""The facts of the daily summary and the small computations on them. PURE (see ``summary``).

``SummaryData`` is what the shell gathers: plain values, aware UTC datetimes.
Here too: the usual reply time and the silence bar (its threshold labels are
``words``'s).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from ghostwatch.core.domain import Why
from ghostwatch.core.render import sanitize_header

MIN_REPLY_SAMPLES = 2  # one answered message is an anecdote, not a habit
DAY = timedelta(days=1)
BAR_WIDTH = 30  # characters of the text-part silence bar
# Fill colours of the silence bar, by how many ladder thresholds lie behind a point:
# calm before the first nudge, warmer with each step, red past giving up.
BAND_COLOURS = ("#60a5fa", "#f59e0b", "#f97316", "#dc2626")
TRACK_COLOUR = "#e5e7eb"


@dataclass(frozen=True, slots=True)
class ClientInfo:
    """One client, as the summary needs it."""

    name: str
    state: str  # docs/behaviour.md, "States"
    waiting_on: str | None  # "client" | "you" | None
    last_inbound: datetime | None = None  # latest human message from them
    last_outbound: datetime | None = None  # latest human message of ours
    subject: str = ""  # subject of our latest message (the thread)
    their_subject: str = ""  # subject of their latest human message
    step: int = 0  # nudges used in the running silence ladder
    ladder_days: tuple[float, ...] = ()  # from our message: each step's day, then ghosting
    bouncing: tuple[tuple[str, datetime], ...] = ()  # (address, bouncing since)
    ghosted_at: datetime | None = None
    until: datetime | None = None  # end of a snooze or an absence
    history: tuple[tuple[datetime, bool], ...] = ()  # human messages: (at, inbound)
    next_template: str | None = None  # the silence ladder's next step ("ghost" = give up)
    next_at: datetime | None = None
    # client messages that could not be read (when each was sent): they hold the
    # client's nudges until you look, so the summary asks you to
    unreadable: tuple[datetime | date, ...] = ()


@dataclass(frozen=True, slots=True)
class NudgeInfo:
    """A nudge that went out, or will (``status``: an outbox status, "scheduled", "held")."""

    client: str
    template: str
    at: datetime
    status: str
    reason: str = ""  # English; said from ``why`` instead when the decision has clauses
    to: str = ""
    why: tuple[Why, ...] = ()


@dataclass(frozen=True, slots=True)
class InvoiceInfo:
    client: str
    number: str
    amount: str
    due: date
    paid_at: datetime | None = None
    replied_at: datetime | None = None  # the client wrote after the due date
    expected_by: date | None = None  # the day they promised to pay by (docs/promises.md)
    promise: str = ""  # the sentence it was read from ("" when the user set the day)


@dataclass(frozen=True, slots=True)
class LoginRefusedInfo:
    """A server that refuses the account's login (``auth_backoff``): the advice is a
    ``reasons.LOGIN_HINTS`` kind and its parameters, ``detail`` the server's own words."""

    protocol: str  # "imap" | "smtp"
    since: datetime
    retry_at: datetime
    hint: str
    params: tuple[tuple[str, str], ...] = ()
    detail: str = ""


@dataclass(frozen=True, slots=True)
class DeliveryInfo:
    """A client's promise to deliver by a day, on record for an open deadline."""

    client: str
    what: str
    expected_by: date
    promise: str = ""  # the sentence it was read from ("" when the user set the day)


@dataclass(frozen=True, slots=True)
class HealthInfo:
    account: str
    last_sync: datetime | None
    stale: bool = False
    paused: bool = False
    error: str | None = None  # the current error (later than the last good sync)
    error_at: datetime | None = None
    unknown: int = 0  # nudges of unknown outcome
    failed: int = 0
    refused: tuple[LoginRefusedInfo, ...] = ()  # said in the summary's language


@dataclass(frozen=True, slots=True)
class RefusalInfo:
    """A reply to a summary that was not acted on (docs/commands.md): ``reason`` is
    one of ``command_words.REFUSALS``."""

    at: datetime
    sender: str
    reason: str


@dataclass(frozen=True, slots=True)
class SummaryData:
    """Everything one summary says. ``since``: when the previous daily summary went out
    (None: no earlier summary; "sent since" then covers everything given)."""

    account: str
    timezone: str
    language: str = "en"
    since: datetime | None = None
    clients: tuple[ClientInfo, ...] = ()
    sent: tuple[NudgeInfo, ...] = ()
    upcoming: tuple[NudgeInfo, ...] = ()
    invoices: tuple[InvoiceInfo, ...] = ()
    deliveries: tuple[DeliveryInfo, ...] = ()  # promises to deliver (docs/promises.md)
    health: tuple[HealthInfo, ...] = ()
    # summary commands (docs/commands.md): the one-time key printed (without "gw-";
    # "" = commands off: no labels, no key), and replies refused since the last summary
    token: str = field(default="", repr=False)  # a secret: never in a repr or log
    refusals: tuple[RefusalInfo, ...] = ()


# --- usual reply time ----------------------------------------------------------------


def reply_gaps(history: Iterable[tuple[datetime, bool]]) -> list[timedelta]:
    """Return, for each time the client answered us, how long after our first
    unanswered human message (``history``: (at, inbound) pairs, any order)."""
    gaps: list[timedelta] = []
    waiting_since: datetime | None = None
    for at, inbound in sorted(history):
        if inbound and waiting_since is not None:
            gaps.append(at - waiting_since)
            waiting_since = None
        elif not inbound and waiting_since is None:
            waiting_since = at
    return gaps


def usual_reply_time(history: Iterable[tuple[datetime, bool]]) -> timedelta | None:
    """Return the median of ``reply_gaps``, or None with fewer than MIN_REPLY_SAMPLES."""
    gaps = sorted(reply_gaps(history))
    if len(gaps) < MIN_REPLY_SAMPLES:
        return None
    middle = len(gaps) // 2
    return gaps[middle] if len(gaps) % 2 else (gaps[middle - 1] + gaps[middle]) / 2


def unusually_quiet(silence: timedelta, usual: timedelta | None) -> bool:
    return usual is not None and silence > max(2 * usual, usual + 2 * DAY)


# --- the silence bar ------------------------------------------------------------------


def bar_scale(days: float, ticks: Sequence[float]) -> float:
    """Days the whole bar stands for: a bit past the last threshold, stretched (up to
    twice that) to show a longer silence. Always more than zero, whatever ``ticks`` hold
    (an old or odd ladder may give none, or only zeros): callers divide by it."""
    last = max((t for t in ticks if t > 0), default=14.0)
    return max(last * 1.2, min(days, last * 2))


def bar_segments(days: float, ticks: Sequence[float]) -> list[dict[str, Any]]:
    """Return the cells of the silence bar: ``pct`` of the width, ``colour`` (the fill
    up to ``days``, coloured by band, else the track) and ``tick`` (a threshold starts
    the cell)."""
    end = bar_scale(days, ticks)
    filled_to = min(max(days, 0.0), end)
    points = sorted({0.0, end, filled_to, *(t for t in ticks if 0 < t < end)})
    cells = []
    for start, stop in itertools.pairwise(points):
        band = min(sum(1 for t in ticks if t <= start), len(BAND_COLOURS) - 1)
        colour = BAND_COLOURS[band] if stop <= filled_to else TRACK_COLOUR
        pct = round((stop - start) / end * 100, 1)
        if pct > 0:
            cells.append({"pct": pct, "colour": colour, "tick": start in ticks})
    return cells


def tick_labels(
    days: float, ticks: Sequence[float], label: Callable[[float], str]
) -> list[dict[str, Any]]:
    """Return the label row under the bar: one cell per threshold band, each named by
    ``label(days)`` of the threshold it starts at (the first, at 0, is blank)."""
    end = bar_scale(days, ticks)
    points = [0.0, *(t for t in ticks if 0 < t < end), end]
    return [
        {"pct": round((b - a) / end * 100, 1), "label": label(a) if a else ""}
        for a, b in itertools.pairwise(points)
    ]


def text_bar(days: float, ticks: Sequence[float]) -> str:
    """The silence bar in characters: ``#`` silent, ``-`` not yet, ``|`` a threshold."""
    end = bar_scale(days, ticks)
    chars = ["#" if (i + 0.5) * end / BAR_WIDTH <= days else "-" for i in range(BAR_WIDTH)]
    for t in ticks:
        if 0 < t < end:
            chars[min(round(t / end * BAR_WIDTH), BAR_WIDTH - 1)] = "|"
    return "[" + "".join(chars) + "]"


# --- formatting -------------------------------------------------------------------------


def clean(value: str | None) -> str:
    """A string from outside, on one line (Rule 2 of ``summary``)."""
    return sanitize_header(value or "")


__all__ = [
    "ClientInfo",
    "HealthInfo",
    "InvoiceInfo",
    "NudgeInfo",
    "RefusalInfo",
    "SummaryData",
    "bar_segments",
    "clean",
    "reply_gaps",
    "text_bar",
    "tick_labels",
    "unusually_quiet",
    "usual_reply_time",
]
