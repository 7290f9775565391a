"""Progress of long reads: an initial scan or a rescan of a folder (issue 18, item 7).

On a terminal a tqdm bar shows messages read, the rate and the time left; otherwise
(systemd, cron, a pipe) a ``sync.progress`` log event is emitted every ``every_s``
seconds with the same facts.

Invariants:
- Rule 1: the sync loop calls ``Meter.advance(n)`` once per fetched *batch* (about
  1,000 messages), never per message, so the hook costs nothing measurable in the
  scan (bench/initial_scan.py --compare-progress measures it).
- Rule 2: progress never fails a sync: a meter only counts, formats and writes.
- Rule 3: incremental polls show nothing; only a scan (``scan=True``) gets a meter,
  and on a terminal only one of at least ``MIN_BAR_TOTAL`` messages.

The clock is injected (``monotonic``), so tests drive the log cadence themselves.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from typing import Any, Protocol, TextIO

import structlog

__all__ = ["NO_PROGRESS", "LogMeter", "Meter", "ScanProgress"]

log = structlog.get_logger(__name__)

EVERY_S = 5.0  # seconds between two sync.progress events without a terminal
# A scan smaller than this gets no bar: it is over before a bar says anything (and the
# demo's small mailboxes stay uncluttered). Off a terminal, EVERY_S does the same.
MIN_BAR_TOTAL = 500


class Meter(Protocol):
    """What the sync loop sees of a progress display."""

    def advance(self, n: int) -> None:
        """``n`` more messages were read (called once per batch)."""

    def finish(self) -> None:
        """The scan is over (or was abandoned); idempotent."""


class _NoMeter:
    def advance(self, n: int) -> None:
        return None

    def finish(self) -> None:
        return None


_NO_METER = _NoMeter()


class LogMeter:
    """``sync.progress`` events at most every ``every_s`` seconds of ``monotonic``."""

    def __init__(
        self,
        account: str,
        folder: str,
        total: int,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        every_s: float = EVERY_S,
    ) -> None:
        self.account, self.folder, self.total, self.done = account, folder, total, 0
        self._monotonic, self._every_s = monotonic, every_s
        self._started = self._last = monotonic()
        self._reported = False
        self._finished = False

    def advance(self, n: int) -> None:
        self.done += n
        now = self._monotonic()
        if now - self._last >= self._every_s:
            self._last = now
            self._emit(now)

    def finish(self) -> None:
        # a final line only for a scan that reported on the way: short ones stay quiet
        if self._reported and not self._finished:
            self._emit(self._monotonic(), finished=True)
        self._finished = True

    def _emit(self, now: float, *, finished: bool = False) -> None:
        elapsed = max(now - self._started, 1e-9)
        rate = self.done / elapsed
        left = max(self.total - self.done, 0)
        self._reported = True
        log.info(
            "sync.progress",
            account=self.account,
            folder=self.folder,
            done=self.done,
            total=self.total,
            percent=round(100 * self.done / self.total, 1) if self.total else 100.0,
            rate_per_s=round(rate, 1),
            elapsed_s=round(elapsed, 1),
            eta_s=None if finished or rate <= 0 else round(left / rate, 1),
            finished=finished,
        )


class _BarMeter:
    """A tqdm bar on a terminal: ``studio INBOX: 45%|████▌ | 13500/30000 [00:02<00:03,
    6000.00msg/s]``."""

    def __init__(self, bar: Any) -> None:
        self._bar = bar
        self._open = True

    def advance(self, n: int) -> None:
        self._bar.update(n)

    def finish(self) -> None:
        if self._open:
            self._open = False
            self._bar.close()


class ScanProgress:
    """Makes a meter per scanned folder: a bar when ``stream`` is a terminal, log
    events otherwise, nothing when ``enabled`` is False (``NO_PROGRESS``)."""

    def __init__(
        self,
        stream: TextIO | None,
        *,
        tty: bool | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        every_s: float = EVERY_S,
        enabled: bool = True,
    ) -> None:
        self.stream = stream
        self.tty = bool(stream is not None and stream.isatty()) if tty is None else tty
        self._monotonic, self._every_s, self._enabled = monotonic, every_s, enabled

    @classmethod
    def for_stream(cls, stream: TextIO) -> ScanProgress:
        """Bars on ``stream`` if it is a terminal, else ``sync.progress`` events."""
        return cls(stream)

    def start(self, account: str, folder: str, total: int, *, scan: bool) -> Meter:
        """Return the meter for reading ``total`` messages of ``folder``: a no-op one
        unless this is a scan (first sync, rescan) with something to read."""
        if not (self._enabled and scan and total > 0):
            return _NO_METER
        if self.tty and self.stream is not None:
            if total < MIN_BAR_TOTAL:
                return _NO_METER
            from tqdm import tqdm  # imported only when a bar is shown

            sized = _has_size(self.stream)
            width, height = shutil.get_terminal_size((80, 24))
            bar = tqdm(
                total=total,
                desc=f"{account} {folder}",
                unit="msg",
                file=self.stream,
                # a terminal that reports no size (a bare pty, script(1) without a
                # terminal around it) would hide the bar: give it the usual 80x24
                dynamic_ncols=sized,
                ncols=None if sized else width,
                nrows=None if sized else height,
                mininterval=0.5,
                leave=True,
            )
            return _BarMeter(bar)
        return LogMeter(account, folder, total, monotonic=self._monotonic, every_s=self._every_s)


def _has_size(stream: TextIO) -> bool:
    """True when ``stream``'s terminal reports its size (tqdm then follows resizes)."""
    try:
        size = os.get_terminal_size(stream.fileno())
        return size.columns > 0 and size.lines > 0
    except (OSError, ValueError, AttributeError):
        return False


NO_PROGRESS = ScanProgress(None, tty=False, enabled=False)
