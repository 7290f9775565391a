"""Progress of a scan (ghostwatch.adapters.progress): log cadence off a terminal, a bar on one,
nothing for an incremental poll. The end-to-end check (30,000 messages, a real
terminal under ``script``) is tests/integration/test_progress_scan.py."""

from __future__ import annotations

import io
from typing import Any

import pytest
import structlog

from ghostwatch.adapters.progress import NO_PROGRESS, LogMeter, ScanProgress

pytestmark = pytest.mark.usefixtures("every_log_level")


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def progress_events(logs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in logs if e["event"] == "sync.progress"]


def test_without_a_terminal_progress_is_logged_every_few_seconds_with_rate_and_eta() -> None:
    clock = FakeMonotonic()
    meter = ScanProgress(io.StringIO(), tty=False, monotonic=clock, every_s=5).start(
        "studio", "INBOX", 30_000, scan=True
    )
    assert isinstance(meter, LogMeter)
    with structlog.testing.capture_logs() as logs:
        for _ in range(30):  # 30 batches of 1,000, one every second
            clock.now += 1.0
            meter.advance(1_000)
        meter.finish()
        meter.finish()  # idempotent
    events = progress_events(logs)
    # every 5 s: after 5, 10, ..., 30 s, then the final line
    assert [e["done"] for e in events] == [5_000, 10_000, 15_000, 20_000, 25_000, 30_000, 30_000]
    first = events[0]
    assert first["account"] == "studio" and first["folder"] == "INBOX"
    assert first["total"] == 30_000 and first["percent"] == 16.7
    assert first["rate_per_s"] == 1_000.0 and first["eta_s"] == 25.0
    assert events[-1]["finished"] is True and events[-1]["eta_s"] is None
    assert all(e["log_level"] == "info" for e in events)


def test_a_short_scan_logs_nothing() -> None:
    clock = FakeMonotonic()
    meter = ScanProgress(None, tty=False, monotonic=clock).start("a", "INBOX", 500, scan=True)
    with structlog.testing.capture_logs() as logs:
        clock.now += 0.4
        meter.advance(500)
        meter.finish()
    assert progress_events(logs) == []


def test_an_incremental_poll_or_an_empty_scan_gets_no_meter() -> None:
    factory = ScanProgress(io.StringIO(), tty=True)
    clock = FakeMonotonic()
    quiet = ScanProgress(None, tty=False, monotonic=clock, every_s=0)
    with structlog.testing.capture_logs() as logs:
        for meter in (
            quiet.start("a", "INBOX", 10_000, scan=False),
            quiet.start("a", "INBOX", 0, scan=True),
            NO_PROGRESS.start("a", "INBOX", 10_000, scan=True),
        ):
            clock.now += 10
            meter.advance(1_000)
            meter.finish()
    assert progress_events(logs) == []
    assert not isinstance(factory.start("a", "INBOX", 5, scan=False), LogMeter)


def test_on_a_terminal_a_bar_shows_messages_rate_and_time_left() -> None:
    stream = io.StringIO()
    meter = ScanProgress(stream, tty=True).start("studio", "INBOX", 3_000, scan=True)
    with structlog.testing.capture_logs() as logs:
        for _ in range(3):
            meter.advance(1_000)
        meter.finish()
    shown = stream.getvalue()
    assert "studio INBOX" in shown
    assert "3000/3000" in shown
    assert "msg/s" in shown and "<" in shown  # tqdm's [elapsed<left, rate]
    assert progress_events(logs) == []  # a bar instead of log lines


def test_a_small_scan_on_a_terminal_gets_no_bar() -> None:
    stream = io.StringIO()
    meter = ScanProgress(stream, tty=True).start("studio", "INBOX", 120, scan=True)
    meter.advance(120)
    meter.finish()
    assert stream.getvalue() == ""


def test_a_stream_is_a_terminal_only_if_it_says_so() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert ScanProgress.for_stream(Tty()).tty
    assert not ScanProgress.for_stream(io.StringIO()).tty
