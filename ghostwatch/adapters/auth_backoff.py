"""Refused logins are not network failures: one login backoff per account and server.

A wrong password (or a revoked OAuth2 grant) will not fix itself in 30 s; retrying it
at the network backoff's pace is how a provider's lockout or fail2ban gets tripped.

Invariants:
- Rule 1: once a server refused an account's login, nothing logs in to that server
  for that account again before the account's ``auth_retry`` has passed: not the
  cycle, not the IDLE watcher, not the summary's mailer. They share one
  ``AuthBackoff`` (the App's), keyed by (account, "imap" | "smtp").
- Rule 2: at most one login per key is in flight; a second caller waits for the
  first one's outcome, so a cycle and a watcher starting together make one attempt.
- Rule 3: a refusal is logged once, as one line (``auth.refused``: the server's own
  words, a hint, the next try); a login put off by Rule 1 is not logged above debug.
  Exceptions it raises carry ``reported = True`` so callers do not log them again.
- Rule 4: a login that succeeds clears the key (``auth.accepted`` if it had been
  refused). Only refusals (``MailboxAuthError``, ``SendAuthError``) count; a network
  fault goes to the caller's ordinary backoff.
- The clock is the App's (injectable); nothing here reads the time by itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal, TypeVar
from zoneinfo import ZoneInfo

import structlog

from ghostwatch.adapters.net import PASSWORD, LoginAdvice
from ghostwatch.errors import GhostwatchError, MailboxAuthError, SendAuthError

log = structlog.get_logger(__name__)

T = TypeVar("T")
Protocol = Literal["imap", "smtp"]
WAIT_SLICE_S = 5.0  # a waiting watcher looks again this often (another login may succeed)


@dataclass(frozen=True, slots=True)
class Refusal:
    """The last refusal of one key: since when logins are refused, when to try again,
    and the one line that says so (for the log and ``status``). ``advice`` and
    ``detail`` (the server's words) are its parts, for the summary to say in its own
    language."""

    since: datetime
    retry_at: datetime
    text: str
    advice: LoginAdvice = PASSWORD
    detail: str = ""


def _refused_error(protocol: Protocol, text: str) -> GhostwatchError:
    exc: GhostwatchError = MailboxAuthError(text) if protocol == "imap" else SendAuthError(text)
    exc.reported = True  # type: ignore[attr-defined]  # Rule 3: logged once, here
    return exc


@dataclass
class AuthBackoff:
    """Per (account, protocol) login state, shared by every caller of one App."""

    clock: Callable[[], datetime]
    _refusals: dict[tuple[str, Protocol], Refusal] = field(default_factory=dict)
    _locks: dict[tuple[str, Protocol], tuple[asyncio.AbstractEventLoop, asyncio.Lock]] = field(
        default_factory=dict
    )

    def refusal(self, account: str, protocol: Protocol | None = None) -> Refusal | None:
        """The current refusal of ``account``'s ``protocol`` server (either, if None)."""
        protocols: tuple[Protocol, ...] = (protocol,) if protocol else ("imap", "smtp")
        for proto in protocols:
            if (found := self._refusals.get((account, proto))) is not None:
                return found
        return None

    def clear(self) -> None:
        """Forget every refusal (a reloaded config may carry the fixed password)."""
        self._refusals.clear()

    def gate(
        self,
        account: str,
        protocol: Protocol,
        *,
        retry: timedelta,
        zone: str = "UTC",
        hint: LoginAdvice = PASSWORD,
        wait: bool = False,
    ) -> LoginGate:
        """A gate for one endpoint's logins. ``wait``: instead of raising while logins
        are refused, sleep until the next try and log in again (the IDLE watcher)."""
        return LoginGate(self, (account, protocol), retry, ZoneInfo(zone), hint, wait)

    def _lock(self, key: tuple[str, Protocol]) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        held = self._locks.get(key)
        if held is None or held[0] is not loop:  # a lock belongs to one event loop
            held = (loop, asyncio.Lock())
            self._locks[key] = held
        return held[1]


@dataclass(frozen=True)
class LoginGate:
    """Runs one endpoint's connect-and-login under the rules of the module."""

    backoff: AuthBackoff
    key: tuple[str, Protocol]
    retry: timedelta
    zone: ZoneInfo
    hint: LoginAdvice
    wait: bool

    async def login(self, connect: Callable[[], Awaitable[T]]) -> T:
        """Return ``await connect()`` (a fresh connect and login each call).

        Raise the adapter's own exception for a network fault; for a refusal, a
        ``MailboxAuthError`` / ``SendAuthError`` with the one-line text (``reported``);
        the same, without contacting the server, while an earlier refusal stands
        (unless ``wait``: then sleep until the next try and attempt it).
        """
        while True:
            async with self.backoff._lock(self.key):
                refused = self._standing()
                if refused is None:
                    try:
                        return await self._attempt(connect)
                    except (MailboxAuthError, SendAuthError):
                        if not self.wait:
                            raise
                    refused = self._standing()
            if refused is None:
                continue  # an auth_retry shorter than the clock's step: try again
            if not self.wait:
                log.debug("auth.deferred", server=self.key[1], retry_at=refused.retry_at)
                raise _refused_error(self.key[1], refused.text + self._next(refused))
            left = (refused.retry_at - self.backoff.clock()).total_seconds()
            await asyncio.sleep(max(0.0, min(left, WAIT_SLICE_S)))

    def _standing(self) -> Refusal | None:
        refused = self.backoff._refusals.get(self.key)
        if refused is not None and self.backoff.clock() < refused.retry_at:
            return refused
        return None

    async def _attempt(self, connect: Callable[[], Awaitable[T]]) -> T:
        try:
            result = await connect()
        except (MailboxAuthError, SendAuthError) as exc:
            refused = self._record(str(exc))
            raise _refused_error(self.key[1], refused.text + self._next(refused)) from None
        if self.backoff._refusals.pop(self.key, None) is not None:
            log.info("auth.accepted", server=self.key[1])
        return result

    def _record(self, detail: str) -> Refusal:
        now = self.backoff.clock()
        earlier = self.backoff._refusals.get(self.key)
        since = earlier.since if earlier is not None else now
        local = since.astimezone(self.zone)
        text = f"login refused since {local:%H:%M} ({local:%Y-%m-%d}) — {self.hint} ({detail})"
        refused = Refusal(since, now + self.retry, text, self.hint, detail)
        self.backoff._refusals[self.key] = refused
        log.error(
            "auth.refused",
            server=self.key[1],
            error=text,
            retry_in_s=round(self.retry.total_seconds()),
        )
        return refused

    def _next(self, refused: Refusal) -> str:
        return f"; next try {refused.retry_at.astimezone(self.zone):%H:%M}"


__all__ = ["AuthBackoff", "LoginGate", "Refusal"]
