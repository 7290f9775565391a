"""Account leases on both stores: shares, expiry, dead holders, the local deadline."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from ghostwatch.app.lease import SAFETY, LeaseKeeper, holder_id, is_gone
from ghostwatch.store.database import Store

ACCOUNTS = [f"acct{i}" for i in range(6)]
TTL = timedelta(seconds=3)


def keeper(store: Store, name: str, **kwargs: object) -> LeaseKeeper:
    return LeaseKeeper(store, ttl=TTL, holder=name, background=False, **kwargs)  # type: ignore[arg-type]


def test_daemons_split_the_accounts_without_overlap(store: Store) -> None:
    keepers = [keeper(store, f"otherhost:b:{i}:0") for i in range(3)]
    for k in keepers:  # announce all three first, as running daemons do within a tick
        k.refresh([])
    for _round in range(2):  # the first round may give one more than its share
        held = [k.refresh(ACCOUNTS) for k in keepers]
    assert [len(h) for h in held] == [2, 2, 2]
    assert set().union(*held) == set(ACCOUNTS)
    _now, rows = store.leases()
    assert {a: r.holder for a, r in rows.items()} == {
        a: k.holder for k, h in zip(keepers, held, strict=True) for a in h
    }


def test_a_newcomer_gets_a_share_and_the_first_gives_it_up(store: Store) -> None:
    first, second = keeper(store, "h:b:1:0"), keeper(store, "h:b:2:0")
    assert first.refresh(ACCOUNTS) == set(ACCOUNTS)
    assert second.refresh(ACCOUNTS) == set()  # all taken; but now it is present
    assert len(first.refresh(ACCOUNTS)) == 3  # gives back what exceeds its share
    assert len(second.refresh(ACCOUNTS)) == 3
    assert first.held().isdisjoint(second.held())


def test_a_live_lease_is_not_taken_an_expired_one_is(store: Store) -> None:
    old, new = keeper(store, "elsewhere:b:1:0", shared=False), keeper(store, "here:b:2:0")
    assert old.refresh(["x"]) == {"x"}
    assert new.refresh(["x"]) == set()
    assert old.holds("x")
    time.sleep(TTL.total_seconds() * (1 - SAFETY) + 0.1)
    assert not old.holds("x")  # stops by itself before the database lets anyone in
    assert new.refresh(["x"]) == set()  # not expired on the database clock yet
    time.sleep(TTL.total_seconds() * SAFETY + 0.2)
    assert new.refresh(["x"]) == {"x"}
    _now, rows = store.leases()
    assert (rows["x"].holder, rows["x"].epoch) == ("here:b:2:0", 2)
    assert old.refresh(["x"]) == set()  # the old holder does not get it back


def test_a_dead_holder_on_this_host_is_replaced_at_once(store: Store) -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        dead = holder_id(child.pid)
        assert not is_gone(dead)
    finally:
        child.kill()
        child.wait()
    assert is_gone(dead)
    keeper(store, dead, shared=False).refresh(["x"])
    assert keeper(store, "here:b:2:0", shared=False).refresh(["x"]) == {"x"}


def test_a_holder_elsewhere_is_never_presumed_dead() -> None:
    assert not is_gone(f"not-{socket.gethostname()}:b:1:0")
    assert not is_gone("garbage")
    assert not is_gone(holder_id())  # ourselves


def test_holds_ends_at_the_local_deadline_without_the_database(store: Store) -> None:
    now = [1000.0]
    k = keeper(store, "h:b:1:0", shared=False, monotonic=lambda: now[0])
    k.refresh(["x"])
    now[0] += TTL.total_seconds() * (1 - SAFETY) - 0.01
    assert k.holds("x")
    now[0] += 0.02
    assert not k.holds("x")


def test_close_releases_for_the_next_process(store: Store) -> None:
    k = keeper(store, "h:b:1:0", shared=False)
    k.refresh(ACCOUNTS)
    k.close()
    assert keeper(store, "h:b:2:0", shared=False).refresh(ACCOUNTS) == set(ACCOUNTS)


def test_renewal_keeps_a_lease_past_its_ttl(store: Store) -> None:
    k = LeaseKeeper(store, ttl=TTL, holder="h:b:1:0", shared=False)
    try:
        k.refresh(["x"])
        time.sleep(TTL.total_seconds() * 1.5)
        assert k.holds("x")
        assert keeper(store, "h:b:2:0", shared=False).refresh(["x"]) == set()
    finally:
        k.close()


def _lease_statements(store: Store) -> list[str]:
    """Record the SQL statements that touch the lease table (SQLAlchemy's own event)."""
    seen: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if "account_lease" in statement:
            seen.append(statement.split()[0].upper())

    sa.event.listen(store._engine, "before_cursor_execute", record)
    return seen


def test_one_statement_renews_every_lease(store: Store) -> None:
    now = [1000.0]
    k = keeper(store, "h:b:1:0", monotonic=lambda: now[0])
    assert k.refresh(ACCOUNTS) == set(ACCOUNTS)
    seen = _lease_statements(store)
    now[0] += TTL.total_seconds() * 0.5
    k.renew()
    assert seen == ["UPDATE"]  # six accounts and the presence: one statement
    now[0] += TTL.total_seconds() * 0.7  # past the first deadline, not the renewed one
    assert k.held() == {*ACCOUNTS, "@h:b:1:0"}
    _now, rows = store.leases()
    assert {r.epoch for r in rows.values()} == {1}  # a renewal is not a new tenure


def test_a_lease_taken_over_is_lost_at_the_next_renewal(store: Store) -> None:
    changes: list[str] = []
    k = keeper(store, "h:b:1:0", shared=False, on_change=lambda: changes.append("x"))
    k.refresh(["x", "y"])
    store.release_lease("x", "h:b:1:0")  # as if it expired and another took it
    assert keeper(store, "h:b:2:0", shared=False).refresh(["x"]) == {"x"}
    assert k.holds("x")  # still within its local deadline...
    k.renew()
    assert not k.holds("x")  # ...but the renewal says it is gone: stop at once
    assert k.holds("y") and changes == ["x"]
    _now, rows = store.leases()
    assert rows["x"].holder == "h:b:2:0"


class _ReleasingDuringRenewal:
    """The store, except that while a renewal's answer is on its way back, the main
    thread gives the lease up (``then``)."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self.then: list[Callable[[], object]] = []

    def renew_leases(self, *args: Any, **kwargs: Any) -> Any:
        answer = self._store.renew_leases(*args, **kwargs)
        for step in self.then:
            step()
        return answer

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


def test_a_lease_released_during_a_renewal_stays_released(store: Store) -> None:
    racing = _ReleasingDuringRenewal(store)
    k = LeaseKeeper(racing, ttl=TTL, holder="h:b:1:0", shared=False, background=False)  # type: ignore[arg-type]
    k.refresh(["x", "y"])
    racing.then.append(lambda: k.release("x"))
    k.renew()
    assert not k.holds("x") and k.holds("y")
    _now, rows = store.leases()
    assert set(rows) == {"y"}
