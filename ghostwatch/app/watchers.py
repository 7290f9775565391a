"""``run``'s IDLE watchers: one task and connection per account this daemon works on.

A watcher keeps an IDLE on the account's INBOX and reports new mail *for that
account* (``wake(name)``), so the service cycles that account alone.

Invariants:
1. A watcher that fails reconnects with capped exponential backoff and jitter; its
   failure is recorded in the store (``last_error``, watch mode None), so ``status``
   and the summary show it. Its first failure and a reconnection wake its account
   (mail may have arrived while it was away); the cycle's own backoff still holds.
2. Only accounts this daemon may work on are watched (``sync``); a watcher of an
   account given back or lost is cancelled at the next ``sync``.
3. A server without IDLE ends its watcher for good (watch mode "poll"): the account
   is then read at its ``poll_interval``.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

import structlog

from ghostwatch.adapters.auth_backoff import AuthBackoff
from ghostwatch.adapters.ports import Mailbox, MailboxFactory
from ghostwatch.app.endpoints import imap_endpoint
from ghostwatch.config.loader import AccountConfig
from ghostwatch.core.schedule import Backoff
from ghostwatch.errors import GhostwatchError, MailboxError
from ghostwatch.store.database import Store

log = structlog.get_logger(__name__)

IDLE_RENEW_S = 9 * 60  # re-issue IDLE well before servers' 29-minute limit


class Watchers:
    """The running watchers. ``store`` is read through a callable: a reload may
    not replace it, but tests build the service before the App exists."""

    def __init__(
        self,
        store: Callable[[], Store],
        logins: Callable[[], AuthBackoff],
        wake: Callable[[str], None],
        stop: asyncio.Event,
        *,
        clock: Callable[[], datetime],
        retry_cap_s: float,
        opener: MailboxFactory,
    ) -> None:
        """``opener`` makes each IDLE connection (the App's ``mailbox_factory``)."""
        self._store = store
        self._opener = opener
        self._logins = logins  # refused logins: the watcher waits out auth_retry too
        self._wake = wake
        self._stop = stop
        self._clock = clock
        self._retry_cap_s = retry_cap_s
        self.tasks: dict[str, asyncio.Task[None]] = {}
        self.retired: set[asyncio.Task[Any]] = set()
        self.idling: set[str] = set()  # accounts whose INBOX is in IDLE right now
        self._configs: dict[str, AccountConfig] = {}

    def sync(self, accounts: Iterable[AccountConfig]) -> None:
        """Watch exactly ``accounts`` (Invariant 2). A watcher whose account's config
        changed is restarted; one that ended by itself (no IDLE) is not."""
        wanted = {a.name: a for a in accounts}
        for name in [n for n in self.tasks if self._configs.get(n) != wanted.get(n)]:
            self.cancel(name)
        for name, account in wanted.items():
            if name not in self.tasks:
                self._configs[name] = account
                self.tasks[name] = asyncio.create_task(self._watch(account), name=f"watch:{name}")

    def cancel(self, name: str) -> None:
        task = self.tasks.pop(name, None)
        self._configs.pop(name, None)
        if task is not None:
            task.cancel()
            self.retire(task)

    def cancel_all(self) -> None:
        for name in list(self.tasks):
            self.cancel(name)

    def retire(self, task: asyncio.Task[Any]) -> None:
        """Keep a cancelled task referenced until it ends (shutdown waits for it)."""
        self.retired.add(task)
        task.add_done_callback(self.retired.discard)

    async def _watch(self, account: AccountConfig) -> None:
        """Keep an IDLE on the account's INBOX; wake the account on new mail."""
        backoff = Backoff(cap_s=self._retry_cap_s)
        structlog.contextvars.bind_contextvars(account=account.name)
        while not self._stop.is_set():
            try:
                if not await self._idle_session(account, backoff):
                    return  # the server has no IDLE: the account is polled instead
            except Exception as exc:  # the watcher's guard: any fault means reconnect
                if not isinstance(exc, GhostwatchError):
                    log.exception("watch.crashed")
                if backoff.attempt == 0:
                    self._wake(account.name)  # its cycle retries (on its own backoff)
                delay = backoff.next()
                self._record_error(account, exc)
                log.warning("watch.reconnecting", error=str(exc), in_s=round(delay, 1))
                await self._sleep_unless_stopped(delay)

    def _record_error(self, account: AccountConfig, exc: Exception) -> None:
        store = self._store()
        try:
            store.set_watch_mode(account.name, None)
            store.set_sync_error(account.name, self._clock(), f"watch: {exc}")
        except GhostwatchError as fault:
            log.error("watch.record_failed", error=str(fault))

    async def _idle_session(self, account: AccountConfig, backoff: Backoff) -> bool:
        """Watch over one connection until it fails (raise) or the service stops
        (True); return False at once if the server cannot IDLE."""
        store = self._store()
        endpoint = imap_endpoint(account, self._logins(), wait=True)
        async with self._opener(endpoint) as mailbox:
            if "IDLE" not in mailbox.capabilities:
                store.set_watch_mode(account.name, "poll")
                log.info("watch.polling", reason="server has no IDLE")
                return False
            inbox = account.imap.folders.inbox
            await mailbox.examine(inbox)
            store.set_watch_mode(account.name, "idle")
            if backoff.attempt:
                log.info("watch.reconnected", attempts=backoff.attempt)
                self._wake(account.name)  # mail may have arrived while we were away
            backoff.reset()
            log.info("watch.idling", folder=inbox)
            self.idling.add(account.name)
            try:
                await self._idle_loop(mailbox, account.name)
            finally:
                self.idling.discard(account.name)
        return True

    async def _idle_loop(self, mailbox: Mailbox, name: str) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            responses = await mailbox.idle_wait(IDLE_RENEW_S)
            if any(_is_bye(r) for r in responses):
                raise MailboxError("the server ended the IDLE session (BYE)")
            if responses:
                log.info("watch.new_mail", responses=len(responses))
                self._wake(name)
            elif time.monotonic() - started < IDLE_RENEW_S * 0.9:
                # IDLE ended early with nothing: the connection may be dead. Verify.
                await mailbox.noop()

    async def _sleep_unless_stopped(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), timeout=seconds)


def _is_bye(response: Any) -> bool:
    return isinstance(response, tuple) and len(response) > 0 and response[0] == b"BYE"


__all__ = ["IDLE_RENEW_S", "Watchers"]
