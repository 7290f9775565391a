"""``ghostwatch run``: the long-running service.

Shape: each account this daemon works on is cycled on its own (sync, decide,
re-check, send: ``App.cycle(accounts=[name])``), at most MAX_PARALLEL at a time,
when (a) its IDLE watcher sees new mail in its INBOX (ghostwatch.app.watchers), (b) one
of its decisions falls due (a send window opening, a ladder step; for the summary
account, the daily summary), (c) its poll interval has passed (Sent, and INBOX on
servers without IDLE), staggered across accounts, or (d) its backoff after a failed
cycle ends (ghostwatch.core.schedule). A poll of an account whose INBOX is in IDLE and
whose decisions all wait is quiet while nothing changed: STATUS and one store read,
no decide pass (ghostwatch.app.quiet_poll). So a reply on one account is read at once, over
that account's kept connection (ghostwatch.adapters.mailbox_pool), and never waits for the
others' logins. Housekeeping (lease shares, watchers, stale mailboxes) runs every
HOUSEKEEP_S and when a lease changes hands. No busy polling: between those the
process sleeps.

Invariants:
1. A cycle is never cut short while it can finish in time: SIGTERM/SIGINT stop the
   running cycles after the send in flight, then the service exits; a send that
   outlasts the grace is abandoned, never resent (ghostwatch.app.stopping).
2. A watcher that fails reconnects with capped exponential backoff and jitter; its
   failure is recorded in the store, so ``status`` and the summary show it. A failed
   cycle of an account is retried the same way, independently of the poll interval,
   and nothing retries it sooner: not a summary or nudge that is due, not new mail
   (only a stop). The other accounts go on meanwhile.
3. SIGHUP reloads the config between cycles; an invalid config (templates included)
   is logged problem by problem and the old one keeps running.
4. Only the loop starts cycles; signal handlers and the lease thread just set flags.
   One account is never cycled twice at once. A lost lease stops its sending at once
   (``App.may_work`` before every send) and its watcher at the next housekeeping.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import structlog

from ghostwatch.adapters.notify import Notifier
from ghostwatch.app import reload
from ghostwatch.app.bootstrap import App, utcnow
from ghostwatch.app.planning import next_due, unchanged
from ghostwatch.app.quiet_poll import QuietPolls
from ghostwatch.app.reports import CycleReport
from ghostwatch.app.stale import StaleMailboxes
from ghostwatch.app.stopping import EXIT_DEADLINE_S, Stopping
from ghostwatch.app.watchers import Watchers
from ghostwatch.config.loader import AccountConfig, Config, load_config
from ghostwatch.core.domain import Decision
from ghostwatch.core.schedule import RETRY_CAP_S, Backoff, Schedule, quiet_until
from ghostwatch.core.templates import TemplateSet
from ghostwatch.errors import ConfigError, GhostwatchError

log = structlog.get_logger(__name__)

MIN_SLEEP_S = 0.05
MAX_PARALLEL = 4  # account cycles at once: a start or a burst logs in a few at a time
HOUSEKEEP_S = 30.0  # leases, watchers and stale checks at least this often


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
    _cycles: dict[str, asyncio.Task[None]] = field(default_factory=dict)
    _abandoned: set[asyncio.Task[Any]] = field(default_factory=set)
    _stale: StaleMailboxes = field(default_factory=StaleMailboxes)
    _quiet: QuietPolls = field(default_factory=QuietPolls)
    _reload: bool = False
    _rebalance: bool = True  # take our share of the leases at the next housekeeping
    _housekept_at: float | None = None
    _unready: set[str] | None = None  # first cycles still to finish before READY
    _ready_sent: bool = False
    _started: datetime | None = None

    def __post_init__(self) -> None:
        self.schedule = Schedule(retry_cap_s=self.retry_cap_s)
        self.watchers = Watchers(
            lambda: self._app.store,
            lambda: self._app.logins,
            self._on_mail,
            self._stop,
            clock=self.clock,
            retry_cap_s=self.retry_cap_s,
            opener=lambda endpoint: self._app.mailbox_factory(endpoint),
        )
        self._slots = asyncio.Semaphore(MAX_PARALLEL)
        self._stopping = Stopping(self._stop)

    async def run(self) -> int:
        """Run until stopped by a signal; return the exit status.

        Raise ConfigError if the config is invalid at start (exit 2 in the CLI).
        """
        self.app = self.app_factory(load_config(self.config_path), clock=self.clock)
        self.app.monitor.start(self.app.store, serve=True)  # [health]: ConfigError if it cannot
        self.app.mailboxes.keep = True  # one login per account, not one per cycle
        self.app.stop_requested = self._stop.is_set
        self._started = self.clock()
        self._stale.started = self._started
        self._share_accounts()
        self._stopping.install(self._on_reload)
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
        while not self._stop.is_set():
            self._wake.clear()  # what happens from here on wakes the next round
            if self._reload:
                self._apply_reload()
            now = self.clock()
            self._housekeep(now)
            for name in self.schedule.ready(now):
                self._start_cycle(name)
            self.notifier.watchdog()
            await self._sleep(self._next_wake(now))

    def _on_mail(self, name: str) -> None:
        """A watcher saw something on ``name``: cycle that account (coalesced)."""
        self.schedule.wake(name)
        self._wake.set()

    # --- housekeeping -------------------------------------------------------------

    def _housekeep(self, now: datetime) -> None:
        """Every HOUSEKEEP_S, and at once when a lease changed hands: take our share of
        the accounts, schedule and watch the ones we hold, report stale mailboxes."""
        mono = time.monotonic()
        due = self._housekept_at is None or mono - self._housekept_at >= self._housekeep_s()
        if not (due or self._rebalance):
            return
        self._housekept_at = mono
        try:
            if self._rebalance:
                self._rebalance = False
                self._claim()
            held = [a for a in self._app.config.accounts if self._app.may_work(a.name)]
            self._let_go({a.name for a in held})
            self.schedule.track([a.name for a in held], now)
            self.watchers.sync(held)
            if self._unready is None:
                self._unready = {a.name for a in held}
                self._maybe_ready()
            self._check_stale(now)
        except Exception as exc:  # planning must not end the service; retried
            self._rebalance = True
            self._plan_failed(exc)

    def _let_go(self, held: set[str]) -> None:
        """Forget the accounts given back or lost: log out their kept connections."""
        for name in [n for n in self.schedule.due if n not in held]:
            log.info("service.account_released", account=name)
            self._quiet.forget(name)
            self.watchers.retire(asyncio.create_task(self._app.mailboxes.discard(name)))

    def _maybe_ready(self) -> None:
        """READY=1 once every account held at the start had its first cycle."""
        if self._unready is not None and not self._unready and not self._ready_sent:
            self._ready_sent = True
            self.notifier.ready(f"watching {len(self._app.config.accounts)} account(s)")

    def _housekeep_s(self) -> float:
        ttl = self._app.config.database.lease_ttl.total_seconds()
        return max(1.0, min(HOUSEKEEP_S, ttl / 3))

    def _claim(self) -> None:
        """Take, renew or give back leases (raise StoreError if the database fails)."""
        leases = self._app.leases
        if leases is not None:
            names = [a.name for a in self._app.config.accounts]
            leases.watch(names)
            leases.refresh(names)

    def _plan_failed(self, exc: Exception) -> None:
        if isinstance(exc, GhostwatchError):
            log.error("service.plan_failed", error=f"{type(exc).__name__}: {exc}")
        else:
            log.exception("service.plan_failed")

    def _share_accounts(self) -> None:
        """Share the accounts with other daemons on the same database (ghostwatch.app.lease):
        rebalance when the renewal thread sees an account left without a holder."""
        leases = self._app.leases
        if leases is None:
            return
        loop = asyncio.get_running_loop()
        leases.shared = True
        leases.on_change = lambda: loop.call_soon_threadsafe(self._lease_changed)

    def _lease_changed(self) -> None:
        self._rebalance = True
        self._wake.set()

    # --- one account's cycle --------------------------------------------------------

    def _start_cycle(self, name: str) -> None:
        # only a poll, with the INBOX watched over IDLE: try the quiet poll first
        quiet = self.schedule.may_be_quiet(name, self.clock()) and name in self.watchers.idling
        self.schedule.start(name)
        self._cycles[name] = asyncio.create_task(self._cycle(name, quiet), name=f"cycle:{name}")

    async def _cycle(self, name: str, quiet: bool) -> None:
        """Cycle ``name`` alone (quietly if ``quiet`` and nothing changed,
        ghostwatch.app.quiet_poll), then book when it is next due (never raises)."""
        report: CycleReport | None = None
        mark: int | None = None
        try:
            async with self._slots:
                account = self._account(name)
                if not self._stop.is_set() and account is not None:
                    now = self.clock()
                    report = await self._quiet.poll(self._app, account, now) if quiet else None
                    quiet = report is not None
                    if report is None:
                        mark = self._event_mark(name)  # before it decides: see remember
                        report = await self._app.cycle(now, accounts=[name])
        except Exception:  # the per-cycle guard: log, retry later with backoff
            log.exception("cycle.crashed")
        finally:
            self._cycles.pop(name, None)
            if quiet and report is not None and report.ok:
                self._after_quiet_poll(name)
            else:
                self._after_cycle(name, report, mark)
            self._wake.set()

    def _event_mark(self, name: str) -> int | None:
        """The account's newest event id now (None if the store cannot say): taken
        before a full cycle, so a command logged while it decides is not missed."""
        try:
            return self._app.store.change_marks(name).last_event_id
        except GhostwatchError:
            return None

    def _after_quiet_poll(self, name: str) -> None:
        """Nothing changed: the next poll one interval on, the decisions' time kept."""
        account = self._account(name)
        if account is None:
            self.schedule.forget(name)
            return
        until = self.schedule.quiet.get(name)
        self.schedule.finish(name, self.clock(), ok=True, poll=account.poll_interval, due=until)

    def _after_cycle(self, name: str, report: CycleReport | None, mark: int | None) -> None:
        now = self.clock()
        account = self._account(name)
        if account is None:
            self.schedule.forget(name)  # removed by a reload while it ran
            return
        ok, due, quiet = report is not None and report.ok, None, None
        try:
            if report is not None and ok:
                due, decided = next_due(self._app, account, now, unchanged(report))
                quiet = self._quiet_until(account, decided, due, now, report, mark)
        except Exception as exc:  # a store fault: retried on the backoff
            self._plan_failed(exc)
            ok = False
        retry_s = self.schedule.finish(name, now, ok=ok, poll=account.poll_interval, due=due)
        self.schedule.allow_quiet(name, quiet if ok else None)
        if retry_s is not None:
            log.info("cycle.retry_later", in_s=round(retry_s, 1), account=name)
        with contextlib.suppress(Exception):  # a store fault shows at the housekeeping
            self._check_stale(now, [account])
        if self._unready is not None:
            self._unready.discard(name)
            self._maybe_ready()

    def _account(self, name: str) -> AccountConfig | None:
        return next((a for a in self._app.config.accounts if a.name == name), None)

    def _quiet_until(
        self,
        account: AccountConfig,
        decided: list[Decision],
        due: datetime | None,
        now: datetime,
        report: CycleReport,
        mark: int | None,
    ) -> datetime | None:
        """After a full cycle: until when its polls may be quiet (schedule.quiet_until),
        with the baseline they compare against remembered; None: not at all."""
        store = self._app.store
        name = account.name
        open_ = bool(store.outbox_pending(name)) or bool(store.outbox_unresolved(name))
        until = None if mark is None else quiet_until(decided, due, now, outbox_open=open_)
        if until is None:
            self._quiet.forget(name)
        else:
            self._quiet.remember(self._app, account, report, last_event_id=mark or 0)
        return until

    def _next_wake(self, now: datetime) -> float:
        """Seconds until the loop should run again, with nothing else waking it."""
        waits = [self._housekeep_s()]
        at = self.schedule.next_at(now)
        if at is not None:
            waits.append((at - now).total_seconds())
        if self.notifier.watchdog_s:
            waits.append(self.notifier.watchdog_s / 2)
        delay = max(MIN_SLEEP_S, min(waits))
        log.debug("service.sleeping", seconds=round(delay, 3))
        return delay

    async def _sleep(self, seconds: float) -> None:
        """Sleep ``seconds``, woken early by new mail, a cycle's end or a stop."""
        waiters = [
            asyncio.ensure_future(self._wake.wait()),
            asyncio.ensure_future(self._stop.wait()),
        ]
        try:
            await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waiters:
                w.cancel()

    def _check_stale(self, now: datetime, accounts: list[AccountConfig] | None = None) -> None:
        """Report the mailboxes of ``accounts`` (None: all) unread for too long."""
        app = self._app
        self._stale.check(app.store, app.config.accounts if accounts is None else accounts, now)

    # --- signals and reload ---------------------------------------------------------

    def _on_reload(self) -> None:
        log.info("config.reload_requested", path=str(self.config_path))
        self._reload = True
        self._wake.set()

    def _apply_reload(self) -> None:
        self._reload = False
        self.notifier.reloading()
        try:
            config = reload.load_checked(self.config_path, self._app.config)
        except ConfigError as exc:
            for problem in exc.problems:
                log.error("config.reload_rejected", problem=problem)
            log.error("config.kept", problems=len(exc.problems), path=str(self.config_path))
            self.notifier.ready("config reload rejected; running on the old config")
            return
        app = self._app
        old, app.config = app.config, config
        app.templates = TemplateSet(config.templates.dir or None)
        app.logins.clear()  # a fixed password is tried at once, not after auth_retry
        self._stale.clear()
        self._quiet.clear()  # rules or clients may have changed: every account decides
        self.schedule.quiet.clear()
        self._rebalance = True  # the accounts may have changed: housekeep now
        self._housekept_at = None
        self._reschedule(old, config)
        log.info("config.reloaded", accounts=len(config.accounts), clients=len(config.clients))
        self.notifier.ready("config reloaded")

    def _reschedule(self, old: Config, new: Config) -> None:
        """After a reload: sync at once only the accounts whose settings or clients
        changed (a new client's history is read back); the others keep their staggered
        polls, with their decisions (new rules) brought forward."""
        now = self.clock()
        for account in new.accounts:
            if account.name not in self.schedule.due:
                continue  # new or not ours: the housekeeping tracks it
            if reload.changed(old, new, account):
                self.schedule.wake(account.name)
                continue
            try:
                self.schedule.bring_forward(account.name, next_due(self._app, account, now)[0])
            except Exception as exc:  # its next poll plans again
                self._plan_failed(exc)

    # --- shutdown -------------------------------------------------------------------

    async def _shutdown(self) -> None:
        """Stop the cycles and watchers, close the store; exit hard if something
        cannot stop by EXIT_DEADLINE_S (ghostwatch.app.stopping)."""
        self.notifier.stopping()
        self._abandoned |= await self._stopping.finish(list(self._cycles.values()))
        self.watchers.cancel_all()
        pending = await self._stopping.settle([*self.watchers.retired, *self._abandoned])
        if self.app is not None:
            await self.app.monitor.aclose()  # the last ping (bounded), the metrics endpoint
            left = self._stopping.left(EXIT_DEADLINE_S)
            with contextlib.suppress(Exception, TimeoutError):
                await asyncio.wait_for(self.app.mailboxes.close(), left)
            self.app.close()
        self._stopping.exit_if_stuck(pending)
        log.info("service.stopped")


def offset_clock(start: datetime) -> Callable[[], datetime]:
    """Return a clock that starts at ``start`` and runs at real speed (``run --now``)."""
    base = time.monotonic()
    return lambda: start + timedelta(seconds=time.monotonic() - base)


__all__ = ["Backoff", "Service", "offset_clock"]
