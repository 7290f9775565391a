"""The service's small parts: reconnect backoff and the systemd notifier (real socket)."""

from __future__ import annotations

import io
import random
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ghostwatch.adapters import logs
from ghostwatch.adapters.notify import Notifier
from ghostwatch.app.service import Backoff, offset_clock


def test_backoff_doubles_within_jitter_up_to_the_cap() -> None:
    backoff = Backoff(first_s=1.0, cap_s=30.0, rng=random.Random(7))
    delays = [backoff.next() for _ in range(12)]
    ceilings = [1, 2, 4, 8, 16, 30, 30, 30, 30, 30, 30, 30]
    for delay, ceiling in zip(delays, ceilings, strict=True):
        assert ceiling / 2 <= delay <= ceiling
    assert max(delays) <= 30.0


def test_backoff_is_jittered_and_resets() -> None:
    draws = {round(Backoff(cap_s=60.0, attempt=5).next(), 6) for _ in range(20)}
    assert len(draws) > 1  # two reconnecting daemons do not retry in lockstep
    backoff = Backoff(first_s=1.0, cap_s=60.0, rng=random.Random(1))
    for _ in range(4):
        backoff.next()
    backoff.reset()
    assert backoff.attempt == 0
    assert 0.5 <= backoff.next() <= 1.0


def test_backoff_survives_very_many_attempts() -> None:
    assert Backoff(cap_s=30.0, attempt=10_000).next() <= 30.0


@pytest.fixture
def systemd(tmp_path: Path) -> Iterator[socket.socket]:
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(str(tmp_path / "notify"))
        sock.settimeout(2)
        yield sock


def test_notifier_sends_ready_watchdog_reload_and_stopping(
    systemd: socket.socket, tmp_path: Path
) -> None:
    env = {"NOTIFY_SOCKET": str(tmp_path / "notify"), "WATCHDOG_USEC": "4000000"}
    notifier = Notifier(env)
    assert notifier.enabled
    assert notifier.watchdog_s == 4.0
    notifier.ready("watching 1 account(s)")
    assert systemd.recv(4096) == b"READY=1\nSTATUS=watching 1 account(s)"
    notifier.watchdog()
    assert systemd.recv(4096) == b"WATCHDOG=1"
    notifier.reloading()
    reload_fields = systemd.recv(4096).decode().split("\n")
    assert reload_fields[0] == "RELOADING=1"
    assert reload_fields[1].startswith("MONOTONIC_USEC=")
    notifier.stopping()
    assert systemd.recv(4096) == b"STOPPING=1"


def test_notifier_reaches_an_abstract_socket() -> None:
    name = f"ghostwatch-test-{random.getrandbits(48):x}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        sock.settimeout(2)
        Notifier({"NOTIFY_SOCKET": "@" + name}).ready("up")
        assert sock.recv(4096).startswith(b"READY=1")


def test_notifier_is_a_no_op_outside_systemd_and_never_raises(tmp_path: Path) -> None:
    out = io.StringIO()
    logs.configure(level="info", stream=out, json=True)
    quiet = Notifier({})
    assert not quiet.enabled
    assert quiet.watchdog_s is None
    assert quiet.send("READY=1") is False
    gone = Notifier({"NOTIFY_SOCKET": str(tmp_path / "nobody-listens")})
    assert gone.send("READY=1") is False  # logged, not raised
    assert '"event": "notify.failed"' in out.getvalue()


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"WATCHDOG_USEC": "2000000"}, 2.0),
        ({"WATCHDOG_USEC": "2000000", "WATCHDOG_PID": "4242"}, 2.0),
        ({"WATCHDOG_USEC": "2000000", "WATCHDOG_PID": "1"}, None),  # another process's
        ({"WATCHDOG_USEC": "0"}, None),
        ({"WATCHDOG_USEC": "soon"}, None),
    ],
)
def test_the_watchdog_applies_only_to_its_process(env: dict[str, str], expected: float) -> None:
    assert Notifier(env, pid=4242).watchdog_s == expected


def test_offset_clock_starts_at_the_given_instant_and_runs() -> None:
    start = datetime(2026, 11, 9, 8, 59, 50, tzinfo=UTC)
    clock = offset_clock(start)
    first, second = clock(), clock()
    assert start <= first <= second
    assert (second - start).total_seconds() < 5
