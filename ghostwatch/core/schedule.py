"""When ``run`` cycles each account: per-account due times, wake-ups and backoff.

The service cycles one account at a time for what concerns that account alone (new
mail seen by its watcher, its poll, the next instant one of its decisions falls
due), so a reply on one account never waits behind the logins of all the others.
This module only keeps the book; it reads no clock (every method takes ``now``) and
does no I/O.

Invariants:
1. An account is never cycled twice at once: ``start`` marks it running until
   ``finish``; wake-ups in between are coalesced into one more cycle after it.
2. After a failed cycle nothing cycles the account again before its backoff ends
   (``floor``): not new mail, not a due nudge. Only a successful cycle resets it.
3. A poll may be quiet (STATUS only, no decide pass; ghostwatch.app.quiet_poll) only
   while ``quiet_until`` allows it: set after a full successful cycle whose decisions
   all wait for a later instant, and void after a wake-up, a failure, or that instant.
4. Polls are staggered: an account's first poll after its first cycle comes at its
   own fraction of ``poll_interval`` (config order), so N accounts do not all log in
   at the same instant after a start; afterwards each polls ``poll_interval`` after
   its own last cycle.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from ghostwatch.core.domain import Action, Decision

RETRY_FIRST_S = 1.0
RETRY_CAP_S = 30.0  # reconnect / retry a failed cycle at least this often


@dataclass
class Backoff:
    """Capped exponential backoff with jitter: the n-th delay (from 0) is drawn from
    ``[d/2, d]`` with ``d = min(cap_s, first_s * 2**n)``, so it never exceeds
    ``cap_s`` and reconnecting clients do not stampede a server that comes back."""

    first_s: float = RETRY_FIRST_S
    cap_s: float = RETRY_CAP_S
    rng: random.Random = field(default_factory=random.Random, repr=False)
    attempt: int = 0

    def next(self) -> float:
        ceiling = min(self.cap_s, self.first_s * 2 ** min(self.attempt, 62))
        self.attempt += 1
        return self.rng.uniform(ceiling / 2, ceiling)

    def reset(self) -> None:
        self.attempt = 0


@dataclass
class Schedule:
    """The per-account book of the service loop (see the module's invariants)."""

    retry_cap_s: float = RETRY_CAP_S
    due: dict[str, datetime] = field(default_factory=dict)  # the next cycle, at the latest
    floor: dict[str, datetime] = field(default_factory=dict)  # nothing before (backoff)
    woken: set[str] = field(default_factory=set)
    running: set[str] = field(default_factory=set)
    _backoff: dict[str, Backoff] = field(default_factory=dict)
    _polled: set[str] = field(default_factory=set)  # had their first cycle
    quiet: dict[str, datetime] = field(default_factory=dict)  # polls may be quiet until

    def track(self, names: Iterable[str], now: datetime) -> None:
        """Follow exactly ``names`` (in this order): a new one is due at once, one no
        longer listed (given back, removed from the config) is forgotten."""
        wanted = list(dict.fromkeys(names))
        for name in [n for n in self.due if n not in wanted]:
            self.forget(name)
        for name in wanted:
            self.due.setdefault(name, now)

    def forget(self, name: str) -> None:
        for book in (self.due, self.floor, self._backoff, self.quiet):
            book.pop(name, None)
        self.woken.discard(name)
        self._polled.discard(name)

    def wake(self, name: str) -> None:
        """Something happened on ``name`` (new mail): cycle it as soon as allowed."""
        if name in self.due:
            self.woken.add(name)

    def bring_forward(self, name: str, at: datetime | None) -> None:
        """Cycle ``name`` by ``at`` at the latest (a decision falls due then)."""
        if at is not None and name in self.due:
            self.due[name] = min(self.due[name], at)

    def ready(self, now: datetime) -> list[str]:
        """The accounts to cycle now, in tracking order (not running, not backing off,
        and woken or due)."""
        return [
            name
            for name, due in self.due.items()
            if name not in self.running
            and self.floor.get(name, now) <= now
            and (name in self.woken or due <= now)
        ]

    def start(self, name: str) -> None:
        self.running.add(name)
        self.woken.discard(name)  # a wake during the cycle makes one more (Invariant 1)

    def finish(
        self, name: str, now: datetime, *, ok: bool, poll: timedelta, due: datetime | None
    ) -> float | None:
        """Book the end of ``name``'s cycle; ``due``: when its next decision falls due.
        Return the backoff delay in seconds after a failure, else None."""
        self.running.discard(name)
        if name not in self.due:
            return None  # given back while it ran
        backoff = self._backoff.setdefault(name, Backoff(cap_s=self.retry_cap_s))
        if not ok:
            self.quiet.pop(name, None)
            delay = backoff.next()
            self.floor[name] = now + timedelta(seconds=delay)
            self.due[name] = self.floor[name]
            return delay
        backoff.reset()
        self.floor.pop(name, None)
        self.due[name] = min(now + poll * self._poll_fraction(name), due or now + poll)
        return None

    def allow_quiet(self, name: str, until: datetime | None) -> None:
        """After a full cycle: polls of ``name`` may be quiet before ``until`` (None:
        every poll runs the full cycle)."""
        if until is None or name not in self.due:
            self.quiet.pop(name, None)
        else:
            self.quiet[name] = until

    def may_be_quiet(self, name: str, now: datetime) -> bool:
        """True if the cycle about to start for ``name`` is only its poll (not new
        mail, not a retry, no decision due) and ``quiet_until`` still allows it."""
        until = self.quiet.get(name)
        return (
            until is not None
            and now < until
            and name not in self.woken
            and name not in self.floor
            and name not in self.running
        )

    def _poll_fraction(self, name: str) -> float:
        """1 once polled; before: this account's share of the interval (Invariant 3)."""
        if name in self._polled:
            return 1.0
        self._polled.add(name)
        order = list(self.due)
        return (order.index(name) + 1) / len(order)

    def next_at(self, now: datetime) -> datetime | None:
        """The earliest instant an account not running becomes ready (None: none)."""
        times = []
        for name, due in self.due.items():
            if name in self.running:
                continue
            floor = self.floor.get(name, now)
            times.append(floor if name in self.woken else max(floor, due))
        return min(times, default=None)


def quiet_until(
    decisions: Sequence[Decision], due: datetime | None, now: datetime, *, outbox_open: bool
) -> datetime | None:
    """Until when a poll that finds nothing changed may skip the decide pass, after a
    full cycle at ``now`` that took ``decisions`` (``due``: when the next of them, or
    the daily summary, falls due). None: not at all.

    Only while every decision waits for a later instant (policy.next_wakeup: nothing
    changes before it but the mailbox or the account's events, which a quiet poll
    compares); never with a nudge being sent, held, retried or looked up
    (``outbox_open``): a hold can lift with the date, a retry has its own time. At the
    latest until the next UTC midnight (recurring invoices are made by date)."""
    if outbox_open or any(d.action is not Action.WAIT or d.at <= now for d in decisions):
        return None
    midnight = datetime.combine(now.astimezone(UTC).date() + timedelta(days=1), datetime.min.time())
    return min(t for t in (due, midnight.replace(tzinfo=UTC)) if t is not None)


__all__ = ["Backoff", "Schedule", "quiet_until"]
