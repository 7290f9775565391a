"""``ghostwatch run``: the long-running service.

Shape: one decision loop for all accounts, woken by (a) an IDLE watcher per account
that sees new mail in INBOX, (b) the next instant a decision becomes due (a send
window opening, a ladder step, the daily summary), (c) the poll interval (Sent, and
INBOX on servers without IDLE), (d) a retry after a failed cycle, (e) a signal. No
busy polling: between those the process sleeps.

Invariants:
1. A cycle is never cut short while it can finish in time: SIGTERM/SIGINT stop it
   after the send in flight, then the service exits. A send that outlasts
   STOP_GRACE_S is abandoned: its outbox row stays ``sending`` and is later settled as
   ``sent``/``unknown`` from the Sent folder, never resent. The process is gone within
   EXIT_DEADLINE_S of the first signal; a second signal exits at once.
2. A watcher that fails reconnects with capped exponential backoff and jitter; its
   failure is recorded in the store, so ``status`` and the summary show it. A failed
   cycle is retried the same way, independently of the poll interval, and nothing
   retries it sooner: not a summary or nudge that is due, not new mail (only a stop).
3. SIGHUP reloads the config between cycles; an invalid config (templates included)
   is logged problem by problem and the old one keeps running.
4. Only the loop touches the App between cycles; signal handlers just set flags.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, NoReturn

import structlog

from ghostwatch import policy
from ghostwatch.config import AccountConfig, Config, load_config
from ghostwatch.config_check import check_config
from ghostwatch.daemon import App, CycleReport, imap_endpoint, iso, utcnow
from ghostwatch.errors import ConfigError, GhostwatchError, MailboxError
from ghostwatch.imap import ImapMailbox
from ghostwatch.notify import Notifier
from ghostwatch.templates import TemplateSet

log = structlog.get_logger(__name__)

IDLE_RENEW_S = 9 * 60  # re-issue IDLE well before servers' 29-minute limit
MIN_SLEEP_S = 0.05
RETRY_FIRST_S = 1.0
RETRY_CAP_S = 30.0  # reconnect / retry a failed cycle at least this often
STOP_GRACE_S = 7.0  # after SIGTERM, how long the send in flight may take
EXIT_DEADLINE_S = 9.5  # after SIGTERM, the process is gone by then (systemd: 15 s)
IMAP_THREAD_PREFIX = "ghostwatch-imap"


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
class Service:
    config_path: Path
    clock: Callable[[], datetime] = utcnow
    notifier: Notifier = field(default_factory=Notifier)
    retry_cap_s: float = RETRY_CAP_S
    app: App | None = None
    # The composition root's seam: how the App is built from the config (a test gives
    # one with a fake port; never a patched module global).
    app_factory: Callable[..., App] = App.open
    _wake: asyncio.Event = field(default_factory=asyncio.Event)
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _watchers: dict[str, asyncio.Task[None]] = field(default_factory=dict)
    _retired: set[asyncio.Task[Any]] = field(default_factory=set)
    _stale: set[str] = field(default_factory=set)
    _reload: bool = False
    _signals: int = 0
    _stop_at: float | None = None
    _started: datetime | None = None

    async def run(self) -> int:
        """Run until stopped by a signal; return the exit status.

        Raise ConfigError if the config is invalid at start (exit 2 in the CLI).
        """
        self.app = self.app_factory(load_config(self.config_path), clock=self.clock)
        self.app.monitor.start(self.app.store, serve=True)  # [health]: ConfigError if it cannot
        self._started = self.clock()
        self._share_accounts()
        self._install_signals()
        self._start_watchers()
        log.info("service.started", accounts=len(self.app.config.accounts), pid=os.getpid())
        try:
            await self._loop()
        finally:
            await self._shutdown()
        return 0

    @property
    def _app(self) -> App:
        if self.app is None:
            raise RuntimeError("the service is not running")
        return self.app

    async def _loop(self) -> None:
        retry = Backoff(cap_s=self.retry_cap_s)
        ready = False
        while not self._stop.is_set():
            if self._reload:
                self._apply_reload()
            ok = await self._cycle_once()
            if self._stop.is_set():
                break
            self._start_watchers()  # the cycle may have taken or given back accounts
            if not ready:
                self.notifier.ready(f"watching {len(self._app.config.accounts)} account(s)")
                ready = True
            self.notifier.watchdog()
            retry_s = None if ok else retry.next()
            if ok:
                retry.reset()
            # After a failure nothing cuts the backoff short: not a due summary or
            # nudge, not new mail (Invariant 2); a stop request still does.
            await self._sleep(self._between_cycles(retry_s), at_least_s=retry_s or 0.0)

    def _between_cycles(self, retry_s: float | None) -> float:
        """Report stale mailboxes; return how long to sleep: never less than
        ``retry_s`` after a failed cycle (a fault here: the backoff, else the cap)."""
        try:
            self._check_stale(self.clock())
            return self._next_wake(retry_s)
        except Exception as exc:  # planning the sleep must not end the service
            if isinstance(exc, GhostwatchError):
                log.error("service.plan_failed", error=f"{type(exc).__name__}: {exc}")
            else:
                log.exception("service.plan_failed")
            return retry_s or self.retry_cap_s

    # --- one cycle ----------------------------------------------------------------

    async def _cycle(self) -> CycleReport:
        self._wake.clear()  # a wake that comes during the cycle makes another one
        self._app.stop_requested = self._stop.is_set
        return await self._app.cycle(self.clock())

    async def _cycle_once(self) -> bool:
        """Run one cycle; return True if every account was read. A stop request lets
        it finish the send in flight within STOP_GRACE_S, then abandons it."""
        task = asyncio.create_task(self._cycle(), name="cycle")
        stopping = asyncio.create_task(self._stop.wait())
        try:
            await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopping.cancel()
        if not task.done():
            await asyncio.wait({task}, timeout=self._left(STOP_GRACE_S))
        if not task.done():
            log.warning("service.cycle_abandoned", grace_s=STOP_GRACE_S)
            task.cancel()
            self._retire(task)
            return False
        try:
            return task.result().ok
        except Exception:  # the per-cycle guard: log, retry later with backoff
            log.exception("cycle.crashed")
            return False

    def _next_wake(self, retry_s: float | None) -> float:
        """Seconds until the loop should run again, with nothing else waking it."""
        app, now = self._app, self.clock()
        waits = [a.poll_interval.total_seconds() for a in app.config.accounts]
        if retry_s is not None:
            waits.append(retry_s)
        for account in app.config.accounts:
            due = policy.next_wakeup(app.decide(account, now), now)
            if due is not None:
                waits.append((due - now).total_seconds())
        # The daily summary lives in the App when built (duck-typed until then).
        next_summary = getattr(app, "next_summary_at", None)
        summary_at = next_summary(now) if callable(next_summary) else None
        if isinstance(summary_at, datetime):
            waits.append((summary_at - now).total_seconds())
        if self.notifier.watchdog_s:
            waits.append(self.notifier.watchdog_s / 2)
        # A due-but-unsent summary or nudge says "now": after a failure that must not
        # override the backoff (it made a hot loop of logins), so retry_s is a floor.
        delay = max(MIN_SLEEP_S, retry_s or 0.0, min(waits))
        log.debug("service.sleeping", seconds=round(delay, 3))
        return delay

    async def _sleep(self, seconds: float, *, at_least_s: float = 0.0) -> None:
        """Sleep ``seconds``, woken early by new mail or a stop; for the first
        ``at_least_s`` only a stop wakes it (the backoff after a failed cycle)."""
        if at_least_s > 0:
            await self._sleep_unless_stopped(min(at_least_s, seconds))
            seconds -= at_least_s
            if seconds <= 0 or self._stop.is_set():
                return
        waiters = [
            asyncio.ensure_future(self._wake.wait()),
            asyncio.ensure_future(self._stop.wait()),
        ]
        try:
            await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waiters:
                w.cancel()

    def _check_stale(self, now: datetime) -> None:
        """Warn once (log ``sync.stale`` and an event for the summary) when an account's
        mailbox has not been read for longer than its ``max_sync_age``."""
        app = self._app
        for account in app.config.accounts:
            row = app.store.account_state(account.name)
            last = row.last_sync_at if row else None
            since = last or self._started or now
            if now - since <= account.max_sync_age:
                if account.name in self._stale:
                    self._stale.discard(account.name)
                    log.info("sync.recovered", account=account.name, last_sync=iso(last))
                continue
            if account.name not in self._stale:
                self._stale.add(account.name)
                error = row.last_error if row else None
                log.warning(
                    "sync.stale",
                    account=account.name,
                    last_sync=iso(last),
                    max_sync_age_s=account.max_sync_age.total_seconds(),
                    last_error=error,
                )
                app.store.append_event(
                    "sync.stale", at=now, account=account.name, last_sync=last, error=error
                )

    # --- watchers -------------------------------------------------------------------

    def _share_accounts(self) -> None:
        """Share the accounts with other daemons on the same database (ghostwatch.lease):
        take our share each cycle, and wake when an account is left without a holder."""
        leases = self._app.leases
        if leases is None:
            return
        loop = asyncio.get_running_loop()
        leases.shared = True
        leases.on_change = lambda: loop.call_soon_threadsafe(self._wake.set)

    def _start_watchers(self) -> None:
        """Watch the accounts this daemon holds (every one, without leases); stop
        watching those another daemon took over. A watcher that ended by itself (a
        server without IDLE: the loop polls) is not restarted."""
        app = self._app
        if app.leases is not None:
            app.leases.watch(a.name for a in app.config.accounts)
        for account in app.config.accounts:
            task = self._watchers.get(account.name)
            if app.may_work(account.name) and task is None:
                self._watchers[account.name] = asyncio.create_task(
                    self._watch(account), name=f"watch:{account.name}"
                )
            elif not app.may_work(account.name) and task is not None:
                task.cancel()
                self._retire(task)
                del self._watchers[account.name]

    def _retire(self, task: asyncio.Task[Any]) -> None:
        """Keep a cancelled task referenced until it ends (shutdown waits for it)."""
        self._retired.add(task)
        task.add_done_callback(self._retired.discard)

    async def _watch(self, account: AccountConfig) -> None:
        """Keep an IDLE on the account's INBOX; set the wake event on new mail."""
        backoff = Backoff(cap_s=self.retry_cap_s)
        structlog.contextvars.bind_contextvars(account=account.name)
        while not self._stop.is_set():
            try:
                if not await self._idle_session(account, backoff):
                    return  # the server has no IDLE: the loop polls instead
            except Exception as exc:  # the watcher's guard: any fault means reconnect
                if not isinstance(exc, GhostwatchError):
                    log.exception("watch.crashed")
                if backoff.attempt == 0:
                    self._wake.set()  # the loop retries its cycle (its own backoff)
                delay = backoff.next()
                self._record_watch_error(account, exc)
                log.warning("watch.reconnecting", error=str(exc), in_s=round(delay, 1))
                await self._sleep_unless_stopped(delay)

    def _record_watch_error(self, account: AccountConfig, exc: Exception) -> None:
        store = self._app.store
        try:
            store.set_watch_mode(account.name, None)
            store.set_sync_error(account.name, self.clock(), f"watch: {exc}")
        except GhostwatchError as fault:
            log.error("watch.record_failed", error=str(fault))

    async def _idle_session(self, account: AccountConfig, backoff: Backoff) -> bool:
        """Watch over one connection until it fails (raise) or the service stops
        (True); return False at once if the server cannot IDLE."""
        store = self._app.store
        async with ImapMailbox(imap_endpoint(account, self._app.logins, wait=True)) as mailbox:
            if "IDLE" not in mailbox.capabilities:
                store.set_watch_mode(account.name, "poll")
                log.info("watch.polling", reason="server has no IDLE")
                return False
            inbox = account.imap.folders.inbox
            await mailbox.examine(inbox)
            store.set_watch_mode(account.name, "idle")
            if backoff.attempt:
                log.info("watch.reconnected", attempts=backoff.attempt)
                self._wake.set()  # mail may have arrived while we were away
            backoff.reset()
            log.info("watch.idling", folder=inbox)
            await self._idle_loop(mailbox)
        return True

    async def _idle_loop(self, mailbox: ImapMailbox) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            responses = await mailbox.idle_wait(IDLE_RENEW_S)
            if any(_is_bye(r) for r in responses):
                raise MailboxError("the server ended the IDLE session (BYE)")
            if responses:
                log.info("watch.new_mail", responses=len(responses))
                self._wake.set()
            elif time.monotonic() - started < IDLE_RENEW_S * 0.9:
                # IDLE ended early with nothing: the connection may be dead. Verify.
                await mailbox.noop()

    async def _sleep_unless_stopped(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), timeout=seconds)

    # --- signals and reload ---------------------------------------------------------

    def _install_signals(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self._on_stop, sig)
        loop.add_signal_handler(signal.SIGHUP, self._on_reload)

    def _on_stop(self, sig: signal.Signals) -> None:
        self._signals += 1
        if self._signals > 1:
            log.warning("service.exit_now", signal=sig.name)
            _hard_exit(128 + sig.value)
        log.info("service.stopping", signal=sig.name, grace_s=STOP_GRACE_S)
        self._stop_at = time.monotonic()
        self._stop.set()

    def _on_reload(self) -> None:
        log.info("config.reload_requested", path=str(self.config_path))
        self._reload = True
        self._wake.set()

    def _apply_reload(self) -> None:
        self._reload = False
        self.notifier.reloading()
        try:
            config = self._load_checked()
        except ConfigError as exc:
            for problem in exc.problems:
                log.error("config.reload_rejected", problem=problem)
            log.error("config.kept", problems=len(exc.problems), path=str(self.config_path))
            self.notifier.ready("config reload rejected; running on the old config")
            return
        app = self._app
        app.config = config
        app.templates = TemplateSet(config.templates.dir or None)
        app.logins.clear()  # a fixed password is tried at once, not after auth_retry
        for task in self._watchers.values():
            task.cancel()
            self._retire(task)
        self._watchers.clear()
        self._start_watchers()
        self._stale.clear()
        log.info("config.reloaded", accounts=len(config.accounts), clients=len(config.clients))
        self.notifier.ready("config reloaded")

    def _load_checked(self) -> Config:
        """Load the config as ``check-config`` does (templates included) and refuse
        what cannot change while running; raise ConfigError listing every problem."""
        config = check_config(self.config_path)  # values and templates, every problem
        name = self.config_path.name
        problems: list[str] = []
        old_url = self._app.config.database.resolved_url()
        if config.database.resolved_url() != old_url:
            problems.append(f"{name}: database.url: changing the database needs a restart")
        if problems:
            raise ConfigError(problems)
        return config

    # --- shutdown -------------------------------------------------------------------

    def _left(self, budget_s: float) -> float:
        """Seconds left of ``budget_s`` counted from the first stop signal."""
        if self._stop_at is None:
            return budget_s
        return max(0.0, budget_s - (time.monotonic() - self._stop_at))

    async def _shutdown(self) -> None:
        """Stop the watchers, close the store; exit hard if something cannot stop
        by EXIT_DEADLINE_S (a connect or command stuck on a dead server)."""
        self.notifier.stopping()
        tasks = [*self._watchers.values(), *self._retired]
        for task in tasks:
            task.cancel()
        pending: set[asyncio.Task[Any]] = set()
        if tasks:
            _done, pending = await asyncio.wait(tasks, timeout=self._left(EXIT_DEADLINE_S))
        if self.app is not None:
            await self.app.monitor.aclose()  # the last ping (bounded), the metrics endpoint
            self.app.close()
        if pending or not _threads_ended(IMAP_THREAD_PREFIX, self._left(EXIT_DEADLINE_S)):
            log.warning("service.exit_forced", reason="a mailbox operation did not stop in time")
            _hard_exit(0)
        log.info("service.stopped")


def _is_bye(response: Any) -> bool:
    return isinstance(response, tuple) and len(response) > 0 and response[0] == b"BYE"


def _threads_ended(prefix: str, timeout_s: float) -> bool:
    """Wait up to ``timeout_s`` for every thread named ``prefix*`` to end."""
    deadline = time.monotonic() + timeout_s
    for thread in threading.enumerate():
        if thread.name.startswith(prefix):
            thread.join(max(0.0, deadline - time.monotonic()))
            if thread.is_alive():
                return False
    return True


def _hard_exit(status: int) -> NoReturn:
    """Leave now, skipping interpreter cleanup (which would wait for stuck threads)."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(status)


def offset_clock(start: datetime) -> Callable[[], datetime]:
    """Return a clock that starts at ``start`` and runs at real speed (``run --now``)."""
    base = time.monotonic()
    return lambda: start + timedelta(seconds=time.monotonic() - base)


__all__ = ["Backoff", "Service", "offset_clock"]
