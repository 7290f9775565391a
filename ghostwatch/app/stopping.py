"""How ``run`` stops (``service`` Invariant 1): signals, the grace for the send in
flight, and the hard exit when something cannot stop.

SIGTERM/SIGINT stop the running cycles after the send in flight, then the service
exits. A send that outlasts STOP_GRACE_S is abandoned: its outbox row stays
``sending`` and is later settled as ``sent``/``unknown`` from the Sent folder, never
resent. The process is gone within EXIT_DEADLINE_S of the first signal; a second
signal exits at once. The handlers only set flags: the service's loop does the rest.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any, NoReturn

import structlog

log = structlog.get_logger(__name__)

STOP_GRACE_S = 7.0  # after SIGTERM, how long the send in flight may take
EXIT_DEADLINE_S = 9.5  # after SIGTERM, the process is gone by then (systemd: 15 s)
IMAP_THREAD_PREFIX = "ghostwatch-imap"

__all__ = ["EXIT_DEADLINE_S", "STOP_GRACE_S", "Stopping"]


@dataclass
class Stopping:
    """One run's stop: ``event`` is set by the first SIGTERM/SIGINT (the loop and
    ``App.stop_requested`` read it); budgets count from that first signal."""

    event: asyncio.Event
    signals: int = 0
    at: float | None = None  # time.monotonic() of the first signal

    def install(self, on_reload: Callable[[], None]) -> None:
        """SIGTERM/SIGINT stop, SIGHUP calls ``on_reload`` (on the running loop)."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.on_signal, sig)
        loop.add_signal_handler(signal.SIGHUP, on_reload)

    def on_signal(self, sig: signal.Signals) -> None:
        self.signals += 1
        if self.signals > 1:
            log.warning("service.exit_now", signal=sig.name)
            hard_exit(128 + sig.value)
        log.info("service.stopping", signal=sig.name, grace_s=STOP_GRACE_S)
        self.at = time.monotonic()
        self.event.set()

    def left(self, budget_s: float) -> float:
        """Seconds left of ``budget_s`` counted from the first stop signal."""
        if self.at is None:
            return budget_s
        return max(0.0, budget_s - (time.monotonic() - self.at))

    async def finish(self, running: Collection[asyncio.Task[Any]]) -> set[asyncio.Task[Any]]:
        """Let the running cycles finish the send in flight within STOP_GRACE_S, then
        cancel what is left and return it (abandoned, still to be awaited)."""
        if not running:
            return set()
        _done, pending = await asyncio.wait(running, timeout=self.left(STOP_GRACE_S))
        for task in pending:
            log.warning("service.cycle_abandoned", grace_s=STOP_GRACE_S, task=task.get_name())
            task.cancel()
        return set(pending)

    async def settle(self, tasks: Collection[asyncio.Task[Any]]) -> set[asyncio.Task[Any]]:
        """Wait for ``tasks`` until EXIT_DEADLINE_S; return those still running."""
        if not tasks:
            return set()
        _done, pending = await asyncio.wait(tasks, timeout=self.left(EXIT_DEADLINE_S))
        return set(pending)

    def exit_if_stuck(self, pending: Collection[asyncio.Task[Any]]) -> None:
        """Exit hard if a task or a mailbox thread cannot stop by EXIT_DEADLINE_S (a
        connect or command stuck on a dead server)."""
        if pending or not threads_ended(IMAP_THREAD_PREFIX, self.left(EXIT_DEADLINE_S)):
            log.warning("service.exit_forced", reason="a mailbox operation did not stop in time")
            hard_exit(0)


def threads_ended(prefix: str, timeout_s: float) -> bool:
    """Wait up to ``timeout_s`` for every thread named ``prefix*`` to end."""
    deadline = time.monotonic() + timeout_s
    for thread in threading.enumerate():
        if thread.name.startswith(prefix):
            thread.join(max(0.0, deadline - time.monotonic()))
            if thread.is_alive():
                return False
    return True


def hard_exit(status: int) -> NoReturn:
    """Leave now, skipping interpreter cleanup (which would wait for stuck threads)."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(status)
