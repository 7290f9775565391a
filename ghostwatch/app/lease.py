"""Several daemons, one database: each account is worked on by one daemon at a time.

A daemon holds an account through a lease row (``store_lease``): holder, expiry on
the database's clock, renewed every ``ttl / 3`` by a background thread. The daemon
works on (syncs, watches, sends for) an account only while it holds its lease
*locally*: until the monotonic instant its last successful renewal was *started*
plus ``ttl``, minus a safety margin. The database's expiry is at least that late,
so a daemon cut off from the database stops before anyone else may take over.

Invariants:
1. ``holds(account)`` is True only before the local deadline: a daemon that cannot
   renew (database down, network cut, process frozen) stops sending for that
   account by itself, at once when the deadline passes, without asking anyone.
2. Another daemon takes an account only when its lease has expired on the database
   clock, or when its holder is a process known to be gone (same host and boot, pid
   no longer running that program): a SIGKILLed daemon's accounts move on at once.
3. Shares: ``run`` daemons announce their presence (a lease row of their own); each
   takes at most ``ceil(accounts / live daemons)`` and gives back what exceeds its
   share, so N daemons split the accounts and a newcomer gets some.
4. The outbox's unique slot remains the last guard: even two daemons that both
   believed they held an account could not send one nudge twice.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import os
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import structlog

from ghostwatch.errors import GhostwatchError
from ghostwatch.store.lease import PRESENCE_PREFIX, LeaseStore

log = structlog.get_logger(__name__)

DEFAULT_TTL = timedelta(seconds=60)
SAFETY = 0.2  # of the ttl: a send starts only with at least this much lease left


def _boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()[:8]
    except OSError:
        return "noboot"


def _start_ticks(pid: int) -> str | None:
    """The process's start time (clock ticks since boot), or None if it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]  # field 22; the name may hold spaces


def holder_id(pid: int | None = None) -> str:
    """This process's holder name: ``host:boot:pid:start`` (unique across restarts)."""
    pid = os.getpid() if pid is None else pid
    return f"{socket.gethostname()}:{_boot_id()}:{pid}:{_start_ticks(pid) or 0}"


def is_gone(holder: str) -> bool:
    """True if ``holder`` names a process of this host and boot that no longer runs.

    False when unsure (another host, another boot, a malformed name): then only the
    lease's expiry frees the account."""
    parts = holder.rsplit(":", 3)
    if len(parts) != 4 or not parts[2].isdigit():
        return False
    host, boot, pid, start = parts
    if host != socket.gethostname() or boot != _boot_id():
        return False
    try:
        os.kill(int(pid), 0)  # signal 0: does it exist? (nothing is sent)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # it exists and belongs to another user
    except (OverflowError, ValueError):
        return False
    # it exists: gone only if that pid now runs another program (pid reused). A
    # process /proc hides from us (systemd ProtectProc=) is presumed alive.
    ticks = _start_ticks(int(pid))
    return ticks is not None and ticks != start


def _preference(account: str, holder: str) -> str:
    """Rendezvous order: daemons prefer different accounts, so they rarely collide."""
    return hashlib.sha256(f"{holder}/{account}".encode()).hexdigest()


@dataclass
class LeaseKeeper:
    """The accounts this process may work on. Thread-safe; ``close()`` releases all.

    ``shared``: a ``run`` daemon (announces itself, takes only its share, keeps
    renewing). ``once`` uses ``shared=False``: it takes what is free, for one cycle.
    """

    store: LeaseStore
    ttl: timedelta = DEFAULT_TTL
    holder: str = field(default_factory=holder_id)
    shared: bool = True
    on_change: Callable[[], object] | None = None  # called from the renewal thread
    background: bool = True  # renew from a thread; False: only when asked (tests)
    monotonic: Callable[[], float] = time.monotonic
    _until: dict[str, float] = field(default_factory=dict)  # account -> local deadline
    _epochs: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _accounts_hint: tuple[str, ...] = ()  # what the renewal thread looks out for

    # --- what we hold --------------------------------------------------------------

    def holds(self, account: str) -> bool:
        """True while this process may work on ``account`` (see invariant 1)."""
        margin = self.ttl.total_seconds() * SAFETY
        with self._lock:
            until = self._until.get(account)
        return until is not None and self.monotonic() < until - margin

    def held(self) -> set[str]:
        return {account for account in list(self._until) if self.holds(account)}

    # --- taking and renewing -------------------------------------------------------

    def refresh(self, accounts: Iterable[str]) -> set[str]:
        """Renew what we hold, give back what exceeds our share, take free accounts up
        to it; return the accounts held now. Raise StoreError if the database fails
        (what we hold stays valid until its local deadline; the caller's cycle
        fails with that error, as any other store fault)."""
        wanted = list(dict.fromkeys(accounts))
        try:
            self._refresh(wanted)
        finally:
            self._start_thread()
        return self.held() & set(wanted)

    def _refresh(self, wanted: list[str]) -> None:
        if self.shared:
            self._take(PRESENCE_PREFIX + self.holder)
        share = self._share(len(wanted))
        for account in [a for a in list(self._until) if a not in wanted]:
            if not account.startswith(PRESENCE_PREFIX):
                self.release(account)  # no longer configured here
        for account in sorted(self._until, key=lambda a: _preference(a, self.holder)):
            if self._count() > share and not account.startswith(PRESENCE_PREFIX):
                self.release(account)  # beyond our share: someone else takes it
            else:
                self._take(account)
        _now, rows = self.store.leases()
        for account in sorted(wanted, key=lambda a: _preference(a, self.holder)):
            if self._count() >= share:
                break
            if account in self._until:
                continue
            row = rows.get(account)
            dead = [row.holder] if row is not None and is_gone(row.holder) else []
            self._take(account, dead)

    def _count(self) -> int:
        return sum(1 for a in self._until if not a.startswith(PRESENCE_PREFIX))

    def _share(self, accounts: int) -> int:
        if not self.shared:
            return accounts
        alive = [h for h in self.store.live_presences() if h == self.holder or not is_gone(h)]
        return math.ceil(accounts / max(1, len(alive)))

    def _take(self, account: str, dead: Iterable[str] = ()) -> bool:
        started = self.monotonic()  # before the request: the database's expiry is later
        grant = self.store.take_lease(account, self.holder, self.ttl, dead_holders=list(dead))
        with self._lock:
            if grant is None:
                lost = self._until.pop(account, None) is not None
                self._epochs.pop(account, None)
            else:
                lost = False
                fresh = account not in self._until
                self._until[account] = started + self.ttl.total_seconds()
                self._epochs[account] = grant.epoch
        if grant is not None and fresh and not account.startswith(PRESENCE_PREFIX):
            log.info("lease.taken", lease_account=account, epoch=grant.epoch)
        if lost:
            log.warning("lease.lost", lease_account=account)
        return grant is not None

    def release(self, account: str) -> None:
        """Stop working on ``account`` now and free its lease for others."""
        with self._lock:
            self._until.pop(account, None)
            self._epochs.pop(account, None)
        with contextlib.suppress(GhostwatchError):  # it expires by itself anyway
            self.store.release_lease(account, self.holder)
        if not account.startswith(PRESENCE_PREFIX):
            log.info("lease.released", lease_account=account)

    def renew(self) -> None:
        """Renew every lease we hold in one statement (the renewal thread's tick).

        A lease missing from the answer is lost at once: ``holds`` is False for it
        from here on (Invariant 1 still bounds the case where the database cannot
        answer at all). Only leases still ours locally are extended: one released
        meanwhile by the main thread stays released."""
        accounts = list(self._until)
        if not accounts:
            return
        started = self.monotonic()  # before the request: the database's expiry is later
        try:
            _now, renewed = self.store.renew_leases(accounts, self.holder, self.ttl)
        except GhostwatchError as exc:
            log.warning("lease.renew_failed", leases=len(accounts), error=str(exc))
            return
        lost = []
        with self._lock:
            for account in accounts:
                if account not in self._until:
                    continue  # released while we asked
                if account in renewed:
                    self._until[account] = started + self.ttl.total_seconds()
                else:
                    self._until.pop(account, None)
                    self._epochs.pop(account, None)
                    lost.append(account)
        for account in lost:
            log.warning("lease.lost", lease_account=account)
        if lost and self.on_change is not None:
            self.on_change()  # the housekeeping stops its watcher and rebalances

    def vacancies(self, accounts: Iterable[str]) -> bool:
        """True if the shares should change: we hold more than our share (another
        daemon appeared), or one of ``accounts`` is free, expired or held by a gone
        process while we are below our share."""
        wanted = list(accounts)
        share = self._share(len(wanted))
        if self._count() > share:
            return True
        if self._count() >= share:
            return False
        now, rows = self.store.leases()
        for account in wanted:
            row = rows.get(account)
            if account not in self._until and (
                row is None or row.expires_at <= now or is_gone(row.holder)
            ):
                return True
        return False

    # --- the renewal thread ----------------------------------------------------------

    def _start_thread(self) -> None:
        if not self.background or self._thread is not None or self._stop.is_set():
            return
        self._thread = threading.Thread(target=self._run, name="ghostwatch-lease", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        period = self.ttl.total_seconds() / 3
        while not self._stop.wait(period):
            self.renew()
            if self.on_change is not None and self.shared:
                try:
                    changed = self.vacancies(self._accounts_hint)
                except GhostwatchError:
                    changed = False
                if changed:
                    self.on_change()

    def watch(self, accounts: Iterable[str]) -> None:
        """Tell the renewal thread which accounts to look out for (vacancies)."""
        self._accounts_hint = tuple(accounts)

    def close(self) -> None:
        """Stop renewing and release every lease (and our presence)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        for account in list(self._until):
            self.release(account)
