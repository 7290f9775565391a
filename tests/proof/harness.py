"""Shared tools of the proof suite: a fork-server client and the safety invariants.

``check_invariants`` states the safety rules (docs/behaviour.md) as checks over what the SMTP server
really received and what the database holds; every proof test ends with it.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import subprocess
import sys
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]

# The events an outbox row in each status must have left in the evidence log.
REQUIRED_EVENTS: dict[str, tuple[frozenset[str], ...]] = {
    "planned": (frozenset({"nudge.planned"}),),
    "sending": (frozenset({"nudge.planned"}),),
    "sent": (frozenset({"nudge.planned"}), frozenset({"nudge.sent", "nudge.resolved_sent"})),
    "drafted": (frozenset({"nudge.planned"}), frozenset({"nudge.drafted"})),
    "failed": (frozenset({"nudge.planned"}), frozenset({"nudge.failed"})),
    "unknown": (frozenset({"nudge.planned"}), frozenset({"nudge.unknown"})),
    "cancelled": (frozenset({"nudge.planned"}), frozenset({"nudge.cancelled"})),
}
MAYBE_ON_THE_WIRE = frozenset({"sending", "sent", "unknown"})


class ForkServer:
    """Client of ``tests.proof.forkserver`` (see there); one per test module."""

    def __init__(self) -> None:
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "tests.proof.forkserver"],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def _ask(self, request: dict[str, Any]) -> dict[str, Any]:
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._proc.stdin.write(json.dumps(request) + "\n")
        self._proc.stdin.flush()
        reply: dict[str, Any] = json.loads(self._proc.stdout.readline())
        return reply

    def spawn(self, argv: Sequence[str], out: Path, crash_at_tx: int | None = None) -> int:
        return int(
            self._ask({"argv": list(argv), "out": str(out), "crash_at_tx": crash_at_tx})["pid"]
        )

    def wait(self, pid: int) -> int:
        return int(self._ask({"wait": pid})["status"])

    def close(self) -> None:
        for pipe in (self._proc.stdin, self._proc.stdout):
            if pipe is not None:
                pipe.close()
        self._proc.wait(timeout=10)


@dataclass(frozen=True)
class Outbox:
    id: int
    client: str
    ladder: str
    anchor: str
    step: int
    message_id: str
    status: str
    to_addr: str
    sent_at: str | None


_OUTBOX_SQL = (
    "SELECT id, client, ladder, anchor, step, message_id, status, to_addr, sent_at "
    "FROM outbox ORDER BY id"
)
_EVENTS_SQL = "SELECT message_id, kind FROM event WHERE message_id IS NOT NULL"


def read_db(db: Path | str) -> tuple[list[Outbox], dict[str, set[str]]]:
    """Return the outbox rows and, per Message-ID, the event kinds recorded for it.

    ``db``: a SQLite file, or a database URL (PostgreSQL)."""
    if isinstance(db, str):
        return _read_url(db)
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        tables = {t for (t,) in conn.execute("SELECT name FROM sqlite_master")}
        if not {"outbox", "event"} <= tables:
            return [], {}  # killed before the schema was created
        rows = [Outbox(*r) for r in conn.execute(_OUTBOX_SQL)]
        events: dict[str, set[str]] = {}
        for mid, kind in conn.execute(_EVENTS_SQL):
            events.setdefault(mid, set()).add(kind)
    return rows, events


def _read_url(url: str) -> tuple[list[Outbox], dict[str, set[str]]]:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            if not {"outbox", "event"} <= set(sa.inspect(conn).get_table_names()):
                return [], {}
            rows = [
                Outbox(*r[:8], None if r[8] is None else str(r[8]))
                for r in conn.execute(sa.text(_OUTBOX_SQL))
            ]
            events: dict[str, set[str]] = {}
            for mid, kind in conn.execute(sa.text(_EVENTS_SQL)):
                events.setdefault(mid, set()).add(kind)
    finally:
        engine.dispose()
    return rows, events


def check_invariants(
    db: Path | str,
    received: Sequence[tuple[str, Sequence[str]]],
    *,
    replied_at_index: Mapping[str, int] | None = None,
    max_per_day: int | None = None,
) -> list[str]:
    """Return every violated invariant (empty: all hold).

    ``db``: a SQLite file or a database URL. ``received``: (Message-ID, recipients)
    of each message the SMTP server recorded, in arrival order.
    ``replied_at_index``: recipient address -> how many messages the server had
    recorded when that client's reply was put in the mailbox (no message to them may
    arrive after it).
    """
    problems: list[str] = []
    rows, events = read_db(db) if isinstance(db, str) or db.exists() else ([], {})
    by_mid = {r.message_id: r for r in rows}
    ids = [mid for mid, _ in received]
    for mid, count in Counter(ids).items():
        if count > 1:
            problems.append(f"Message-ID {mid} received {count} times")
    slots: Counter[tuple[str, str, str, int]] = Counter()
    for mid, rcpts in received:
        row = by_mid.get(mid)
        if row is None:
            problems.append(f"{mid} reached the server but was never planned in the outbox")
            continue
        slots[(row.client, row.ladder, row.anchor, row.step)] += 1
        if row.status not in MAYBE_ON_THE_WIRE:
            problems.append(f"{mid} reached the server but its row says {row.status}")
        if row.to_addr not in rcpts:
            problems.append(f"{mid} went to {rcpts}, planned for {row.to_addr}")
    problems += [f"slot {slot} sent {n} times" for slot, n in slots.items() if n > 1]
    for address, index in (replied_at_index or {}).items():
        late = [mid for mid, rcpts in received[index:] if address in rcpts]
        if late:
            problems.append(f"nudged {address} after their reply: {late}")
    for row in rows:
        kinds = events.get(row.message_id, set())
        for need in REQUIRED_EVENTS.get(row.status, ()):
            if not kinds & need:
                problems.append(
                    f"outbox {row.id} ({row.status}, {row.message_id}) lacks event "
                    f"{' or '.join(sorted(need))}; has {sorted(kinds)}"
                )
    if max_per_day is not None and len(received) > max_per_day:
        problems.append(f"{len(received)} nudges in one day, limit {max_per_day}")
    return problems


def smtp_log(server: Any, user: str = "me@studio.example") -> list[tuple[str, list[str]]]:
    """(Message-ID, recipients) of every nudge a tests.support SmtpTestServer recorded;
    mail to the user (the daily summary) is left out."""
    return [
        (str(m.message["Message-ID"]), list(m.rcpt_tos))
        for m in list(server.messages)
        if m.rcpt_tos != [user]
    ]
