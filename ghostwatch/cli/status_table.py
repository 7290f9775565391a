"""``ghostwatch status`` as a person reads it: a table in the mailbox owner's own time
and plain words. PURE: rows in (``core.views.StatusRow``, ``HealthRow``), text out.

Rule 1: every time is shown in the zone of the row's account (``zones``; UTC for an
account not given), as "Thu 26 Nov 09:00", and the table says which zone that is.
``status --json`` is the contract (ISO-8601 UTC, template ids) and does not use this.
Rule 2: no ids: a template is named by its label ("check-in"), a state or "waiting on"
in words; a held nudge shows the clause that holds it ("held: x@y is bouncing").
Rule 3: columns are padded by terminal width (``display_width``), so Thai names, whose
vowel marks take no column, keep the columns aligned.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from ghostwatch.core.i18n import Translator, display_width
from ghostwatch.core.reasons import label
from ghostwatch.core.views import HealthRow, StatusRow

__all__ = ["HELD", "UTC_ZONE", "format_health", "format_table"]

UTC_ZONE = ZoneInfo("UTC")
HEAD = ["CLIENT", "STATE", "WAITING ON", "LAST FROM THEM", "LAST FROM YOU", "NEXT"]
_WAITING = {"client": "them", "you": "you"}
_STATES = {"ok": "ok", "paused": "work paused"}
HELD = "held until you resume it"  # ``hold``: never a made-up end date


def _when(iso: str | None, t: Translator) -> str:
    if not iso:
        return "-"
    return t.at(datetime.fromisoformat(iso.replace("Z", "+00:00")))


def _state(row: StatusRow) -> str:
    if row.state == "nudged":
        return f"nudged ({row.step} sent)"
    return _STATES.get(row.state, row.state)


def _held(row: StatusRow) -> str:
    """What holds the first held nudge: the last "held: ..." clause of its reason
    (the rest, the due step, is what the table says anyway)."""
    if not row.held:
        return "-"
    _, found, why = row.held[0].rpartition("held: ")
    why = why.removeprefix(f"{row.client}: ")
    return f"held: {why}" if found else why


def _next(row: StatusRow, t: Translator) -> str:
    nxt = row.next_action
    if row.state == "held":
        return HELD
    if nxt is None:
        return _held(row)
    what = "marked ghosted" if nxt.kind == "ghost" else label(nxt.kind)
    return f"{what} on {_when(nxt.at, t)}"


def _zone_note(rows: Sequence[StatusRow], zones: Mapping[str, ZoneInfo]) -> str:
    keys = sorted({zones.get(r.account, UTC_ZONE).key for r in rows})
    return f"Times in {', '.join(keys)}." if keys else ""


def format_table(rows: Sequence[StatusRow], zones: Mapping[str, ZoneInfo] | None = None) -> str:
    """Render status rows as an aligned plain-text table, times local to each row's
    account (``zones``: account name -> zone), then a line naming the zone(s)."""
    zones = zones or {}
    body = []
    for r in rows:
        t = Translator("en", zones.get(r.account, UTC_ZONE))
        body.append(
            [
                r.client,
                _state(r),
                _WAITING.get(r.waiting_on or "", "-"),
                _when(r.last_inbound, t),
                _when(r.last_outbound, t),
                _next(r, t),
            ]
        )
    if not body:
        return "no clients configured"
    widths = [max(display_width(x) for x in col) for col in zip(HEAD, *body, strict=False)]
    lines = [
        "  ".join(
            c + " " * (w - display_width(c)) for c, w in zip(line, widths, strict=True)
        ).rstrip()
        for line in [HEAD, *body]
    ]
    return "\n".join([*lines, "", _zone_note(rows, zones)])


def format_health(h: HealthRow, zone: ZoneInfo = UTC_ZONE) -> str:
    """One account's health on one line, times in ``zone``."""
    t = Translator("en", zone)
    last = _when(h.last_sync, t) if h.last_sync else "never"
    parts = [f"account {h.account}: last read {last}"]
    if h.stale:
        parts.append("STALE: no nudges until the mailbox is read again")
    if h.paused:
        parts.append("sending paused")
    if h.watch_mode:
        parts.append(f"watching by {h.watch_mode}")
    if h.last_error:
        parts.append(f"last error {_when(h.last_error_at, t)}: {h.last_error}")
    if h.unresolved_nudges:
        parts.append(f"{h.unresolved_nudges} nudge(s) of unknown outcome")
    if h.failed_nudges:
        parts.append(f"{h.failed_nudges} failed nudge(s)")
    return "; ".join(parts)
