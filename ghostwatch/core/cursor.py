"""What to read of one folder, given its stored cursor and the server's STATUS.

The pure half of ``ghostwatch.app.sync.sync_folder`` (its Invariants 2, 3 and 8): no
I/O and no clock (``now`` is an argument). The sync asks STATUS, reads the folder's
cursor from the store, and ``plan_read`` says whether to read nothing, a bounded
window again, or only what is past the cursor.

Invariants:
1. Nothing new (same UIDVALIDITY, same clients, UIDNEXT not past the cursor): read
   nothing; the cursor stays where it is (one STATUS round trip).
2. UIDVALIDITY changed: the server renumbered the folder; the stored UIDs mean
   nothing now, so the ``initial_scan`` window is read again from UID 0. This wins
   over a change of clients.
3. The clients changed (``clients_key`` differs; a cursor from before the key existed
   adopts the current clients): the window is read again, and whatever is past the
   cursor, whatever its date.
4. Never synced: the window, from UID 0. Otherwise: only UIDs past the cursor.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import Enum
from typing import Protocol

__all__ = ["Cursor", "Read", "ReadPlan", "plan_read", "settled_uid"]


class Cursor(Protocol):
    """A folder's stored sync position (the store's ``CursorRow`` is one)."""

    @property
    def uidvalidity(self) -> int: ...

    @property
    def last_uid(self) -> int: ...

    @property
    def clients_key(self) -> str | None: ...


class Read(Enum):
    NOTHING = "nothing"  # Invariant 1
    RENUMBERED = "renumbered"  # Invariant 2
    CLIENTS_CHANGED = "clients_changed"  # Invariant 3
    FIRST = "first"  # Invariant 4: never synced
    NEW = "new"  # Invariant 4: past the cursor


@dataclass(frozen=True, slots=True)
class ReadPlan:
    """``read``: which case; ``last_uid``: the UID the read starts after (0: from the
    start); ``since``: the first day of the window to search (None: no window);
    ``min_uid``: also search the UIDs from this one on (None: not)."""

    read: Read
    last_uid: int
    since: date | None = None
    min_uid: int | None = None

    @property
    def rescanned(self) -> bool:
        """A folder synced before is read again from its window (``FolderReport``)."""
        return self.read in (Read.RENUMBERED, Read.CLIENTS_CHANGED)


def plan_read(
    cursor: Cursor | None,
    *,
    uidvalidity: int,
    uidnext: int,
    clients_key: str,
    now: datetime,
    initial_scan: timedelta,
) -> ReadPlan:
    """What to read of a folder whose STATUS says ``uidvalidity`` and ``uidnext``,
    for the clients ``clients_key``, at ``now`` (see the module's invariants)."""
    since = (now - initial_scan).date()
    if cursor is None:
        return ReadPlan(Read.FIRST, 0, since=since)
    if cursor.uidvalidity != uidvalidity:
        return ReadPlan(Read.RENUMBERED, 0, since=since)
    if cursor.clients_key not in (None, clients_key):
        return ReadPlan(Read.CLIENTS_CHANGED, 0, since=since, min_uid=cursor.last_uid + 1)
    if uidnext <= cursor.last_uid + 1:
        return ReadPlan(Read.NOTHING, cursor.last_uid)
    return ReadPlan(Read.NEW, cursor.last_uid, min_uid=cursor.last_uid + 1)


def settled_uid(last_uid: int, uidnext: int) -> int:
    """The cursor after a read that found no message: up to the server's UIDNEXT, so
    the next STATUS with nothing new reads nothing (a window with no mail in it)."""
    return max(last_uid, uidnext - 1)
