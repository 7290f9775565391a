"""The service's per-account book (ghostwatch.core.schedule): pure, clock passed in."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from ghostwatch.core.domain import Action, Decision, LadderKind
from ghostwatch.core.schedule import Backoff, Schedule, quiet_until

T0 = datetime(2026, 11, 10, 10, 0, tzinfo=UTC)
POLL = timedelta(seconds=60)


def _s(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_new_accounts_are_due_at_once_and_their_first_polls_are_staggered() -> None:
    book = Schedule()
    names = [f"a{k}" for k in range(4)]
    book.track(names, T0)
    assert book.ready(T0) == names
    for name in names:
        book.start(name)
    for name in names:
        book.finish(name, T0, ok=True, poll=POLL, due=None)
    # a quarter of the interval apart, not all at T0 + 60 s
    assert [book.due[n] for n in names] == [_s(15), _s(30), _s(45), _s(60)]
    assert book.ready(_s(20)) == ["a0"]
    book.start("a0")
    book.finish("a0", _s(20), ok=True, poll=POLL, due=None)
    assert book.due["a0"] == _s(80)  # from then on: its own poll interval


def test_a_wake_during_a_cycle_makes_exactly_one_more() -> None:
    book = Schedule()
    book.track(["a"], T0)
    book.start("a")
    assert book.ready(T0) == []  # never two cycles of one account at once
    for _ in range(5):  # a burst of new mail while it runs
        book.wake("a")
    book.finish("a", _s(1), ok=True, poll=POLL, due=None)
    assert book.ready(_s(1)) == ["a"]
    book.start("a")
    book.finish("a", _s(2), ok=True, poll=POLL, due=None)
    assert book.ready(_s(2)) == []


def test_a_wake_on_one_account_readies_no_other() -> None:
    book = Schedule()
    book.track(["a", "b", "c"], T0)
    for name in ("a", "b", "c"):
        book.start(name)
        book.finish(name, T0, ok=True, poll=POLL, due=None)
    book.wake("b")
    assert book.ready(_s(1)) == ["b"]
    assert book.next_at(_s(1)) == _s(1)


def test_after_a_failure_nothing_cycles_the_account_before_its_backoff() -> None:
    book = Schedule(retry_cap_s=30.0)
    book.track(["a", "b"], T0)
    book.start("a")
    delay = book.finish("a", T0, ok=False, poll=POLL, due=None)
    assert delay is not None and 0.5 <= delay <= 1.0
    book.wake("a")  # new mail does not cut the backoff short
    book.bring_forward("a", T0)  # nor does a due nudge
    assert book.ready(T0) == ["b"]  # the other account goes on
    assert book.next_at(T0) == T0  # b
    book.start("b")
    book.finish("b", T0, ok=True, poll=POLL, due=None)
    assert book.next_at(T0) == T0 + timedelta(seconds=delay)
    assert book.ready(T0 + timedelta(seconds=delay)) == ["a"]


def test_a_due_decision_comes_before_the_poll_and_a_reload_can_bring_it_forward() -> None:
    book = Schedule()
    book.track(["a"], T0)
    book.start("a")
    book.finish("a", T0, ok=True, poll=POLL, due=_s(10))
    assert book.due["a"] == _s(10)
    book.bring_forward("a", _s(5))
    book.bring_forward("a", _s(50))  # later: no change
    assert book.ready(_s(4)) == [] and book.ready(_s(5)) == ["a"]


def test_accounts_no_longer_held_are_forgotten() -> None:
    book = Schedule()
    book.track(["a", "b"], T0)
    book.start("a")
    book.track(["b"], T0)  # a given back while its cycle ran
    assert book.finish("a", T0, ok=False, poll=POLL, due=None) is None
    book.wake("a")
    assert book.ready(T0) == ["b"] and "a" not in book.due


def test_backoff_doubles_within_jitter_up_to_the_cap() -> None:
    backoff = Backoff(first_s=1.0, cap_s=8.0, rng=random.Random(3))
    delays = [backoff.next() for _ in range(6)]
    for delay, ceiling in zip(delays, [1, 2, 4, 8, 8, 8], strict=True):
        assert ceiling / 2 <= delay <= ceiling


# --- quiet polls ---------------------------------------------------------------------


def _decision(action: Action, at: datetime) -> Decision:
    return Decision(
        client="c", account="a", action=action, ladder="silence", kind=LadderKind.SILENCE,
        anchor="<m@x>", step=1, template="checkin", at=at, reason="",
    )  # fmt: skip


def test_polls_may_be_quiet_only_while_every_decision_waits() -> None:
    later, due = _s(3600), _s(1800)
    waiting = [_decision(Action.WAIT, later)]
    assert quiet_until(waiting, due, T0, outbox_open=False) == due
    assert quiet_until([], None, T0, outbox_open=False) == datetime(2026, 11, 11, tzinfo=UTC)
    for action in (Action.SEND, Action.HOLD, Action.GHOST):  # a hold may lift with time
        mixed = [*waiting, _decision(action, later)]
        assert quiet_until(mixed, due, T0, outbox_open=False) is None
    assert quiet_until([_decision(Action.WAIT, T0)], due, T0, outbox_open=False) is None
    assert quiet_until(waiting, due, T0, outbox_open=True) is None  # a retry or a lookup


def test_a_quiet_poll_is_only_a_poll() -> None:
    book = Schedule()
    book.track(["a", "b"], T0)
    for name in ("a", "b"):
        book.start(name)
        book.finish(name, T0, ok=True, poll=POLL, due=None)
        book.allow_quiet(name, _s(600))
    assert book.may_be_quiet("a", _s(60))
    assert not book.may_be_quiet("a", _s(600))  # a decision falls due: decide
    book.wake("a")
    assert not book.may_be_quiet("a", _s(60))  # new mail: the full cycle
    book.start("b")
    book.finish("b", _s(60), ok=False, poll=POLL, due=None)
    assert not book.may_be_quiet("b", _s(120))  # after a failure, until a full success
    book.forget("a")
    book.allow_quiet("a", _s(600))  # no longer tracked: nothing to allow
    assert not book.may_be_quiet("a", _s(60))
