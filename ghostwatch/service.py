"""``ghostwatch run``: the long-running service.

Shape: one decision loop for all accounts, woken by (a) an IDLE watcher per account
that sees new mail in INBOX, (b) the next instant a decision becomes due, (c) the
poll interval (Sent, and INBOX on servers without IDLE), (d) a signal. No busy
polling: between those the process sleeps.

Invariants:
1. A cycle is never cancelled half-way: SIGTERM/SIGINT ask it to stop after the send
   in flight, then the service exits; a second signal exits at once.
2. A watcher that fails reconnects with capped exponential backoff and jitter; its
   failure is recorded in the store, so ``status`` and the summary show it.
3. SIGHUP reloads the config; an invalid config is logged, the old one keeps running.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import structlog

from ghostwatch import policy
from ghostwatch.config import AccountConfig, load_config
from ghostwatch.daemon import App, CycleReport, imap_endpoint, utcnow
from ghostwatch.errors import ConfigError, GhostwatchError
from ghostwatch.imap import ImapMailbox
from ghostwatch.notify import Notifier

log = structlog.get_logger(__name__)

IDLE_RENEW_S = 9 * 60  # re-issue IDLE well before servers' 29-minute limit
MIN_SLEEP_S = 0.05


@dataclass
class Backoff:
    """Capped exponential backoff with full jitter (delays in seconds)."""

    first_s: float = 1.0
    cap_s: float = 60.0
    attempt: int = 0

    def next(self) -> float:
        delay = min(self.cap_s, self.first_s * 2**self.attempt)
        self.attempt += 1
        return random.uniform(delay / 2, delay)

    def reset(self) -> None:
        self.attempt = 0


@dataclass
class Service:
    config_path: Path
    clock: Callable[[], datetime] = utcnow
    notifier: Notifier = field(default_factory=Notifier)
    backoff_cap_s: float = 60.0
    app: App | None = None
    _wake: asyncio.Event = field(default_factory=asyncio.Event)
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _watchers: dict[str, asyncio.Task[None]] = field(default_factory=dict)
    _signals: int = 0

    async def run(self) -> int:
        """Run until stopped by a signal; return the exit status."""
        self.app = App.open(load_config(self.config_path), clock=self.clock)
        self._install_signals()
        self._start_watchers()
        ready = False
        try:
            while not self._stop.is_set():
                report = await asyncio.shield(self._cycle())
                if not ready:
                    self.notifier.ready(f"watching {len(self.app.config.accounts)} account(s)")
                    ready = True
                self.notifier.watchdog()
                await self._sleep(self._next_wake(report.ok))
        finally:
            self.notifier.stopping()
            for task in self._watchers.values():
                task.cancel()
            await asyncio.gather(*self._watchers.values(), return_exceptions=True)
            self.app.close()
            log.info("service.stopped")
        return 0

    async def _cycle(self) -> CycleReport:
        assert self.app is not None
        self._wake.clear()
        self.app.stop_requested = self._stop.is_set
        return await self.app.cycle(self.clock())

    def _next_wake(self, ok: bool) -> float:
        """Seconds until the loop should run again, with nothing else waking it."""
        assert self.app is not None
        now = self.clock()
        waits = [a.poll_interval.total_seconds() for a in self.app.config.accounts]
        if not ok:
            waits.append(min(self.backoff_cap_s, 30.0))
        for account in self.app.config.accounts:
            due = policy.next_wakeup(self.app.decide(account, now), now)
            if due is not None:
                waits.append((due - now).total_seconds())
        summary = self.app.next_summary_at(now) if hasattr(self.app, "next_summary_at") else None
        if summary is not None:
            waits.append((summary - now).total_seconds())
        if self.notifier.watchdog_s:
            waits.append(self.notifier.watchdog_s / 2)
        return max(MIN_SLEEP_S, min(waits))

    async def _sleep(self, seconds: float) -> None:
        waiters = [
            asyncio.ensure_future(self._wake.wait()),
            asyncio.ensure_future(self._stop.wait()),
        ]
        try:
            await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waiters:
                w.cancel()

    # --- watchers --------------------------------------------------------------------

    def _start_watchers(self) -> None:
        assert self.app is not None
        for account in self.app.config.accounts:
            self._watchers[account.name] = asyncio.create_task(
                self._watch(account), name=f"watch:{account.name}"
            )

    async def _watch(self, account: AccountConfig) -> None:
        """Keep an IDLE on the account's INBOX; set the wake event on new mail."""
        assert self.app is not None
        backoff = Backoff(cap_s=self.backoff_cap_s)
        structlog.contextvars.bind_contextvars(account=account.name)
        while not self._stop.is_set():
            try:
                await self._idle_session(account, backoff)
                return  # the server has no IDLE: the main loop polls instead
            except GhostwatchError as exc:
                delay = backoff.next()
                self.app.store.set_sync_error(account.name, self.clock(), f"watch: {exc}")
                log.warning("watch.reconnecting", error=str(exc), in_s=round(delay, 1))
                self._wake.set()  # let the loop record the outage and retry the sync
                await self._sleep_unless_stopped(delay)

    async def _idle_session(self, account: AccountConfig, backoff: Backoff) -> None:
        assert self.app is not None
        async with ImapMailbox(imap_endpoint(account)) as mailbox:
            if "IDLE" not in mailbox.capabilities:
                self.app.store.set_watch_mode(account.name, "poll")
                log.info("watch.polling", reason="server has no IDLE")
                return
            inbox = account.imap.folders.inbox
            await mailbox.examine(inbox)
            self.app.store.set_watch_mode(account.name, "idle")
            if backoff.attempt:
                log.info("watch.reconnected")
                self._wake.set()  # mail may have arrived while we were away
            backoff.reset()
            while not self._stop.is_set():
                started = time.monotonic()
                responses = await mailbox.idle_wait(IDLE_RENEW_S)
                if responses:
                    log.info("watch.new_mail", responses=len(responses))
                    self._wake.set()
                elif time.monotonic() - started < IDLE_RENEW_S * 0.9:
                    # IDLE ended early with nothing: the connection may be dead. Verify.
                    await mailbox.noop()

    async def _sleep_unless_stopped(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), timeout=seconds)

    # --- signals ---------------------------------------------------------------------

    def _install_signals(self) -> None:
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, self._on_stop)
        loop.add_signal_handler(signal.SIGINT, self._on_stop)
        loop.add_signal_handler(signal.SIGHUP, self._on_reload)

    def _on_stop(self) -> None:
        self._signals += 1
        if self._signals > 1:
            log.warning("service.exit_now")
            os._exit(130)
        log.info("service.stopping")
        self._stop.set()

    def _on_reload(self) -> None:
        assert self.app is not None
        self.notifier.reloading()
        try:
            config = load_config(self.config_path)
        except ConfigError as exc:
            for problem in exc.problems:
                log.error("config.reload_rejected", problem=problem)
            self.notifier.status("config reload rejected; running on the old config")
            return
        self.app.config = config
        for task in self._watchers.values():
            task.cancel()
        self._start_watchers()
        self._wake.set()
        log.info("config.reloaded", accounts=len(config.accounts), clients=len(config.clients))
        self.notifier.ready("config reloaded")


def offset_clock(start: datetime) -> Callable[[], datetime]:
    """Return a clock that starts at ``start`` and runs at real speed (``run --now``)."""
    base = time.monotonic()
    return lambda: start + timedelta(seconds=time.monotonic() - base)


__all__ = ["Backoff", "Service", "offset_clock"]
