"""Telling a monitor that ghostwatch works: the heartbeat ping and the metrics.

``Heartbeat`` (``[health].ping_url``, Healthchecks-style): ``cycle_ok()`` GETs the URL,
``cycle_failed()`` GETs ``<url>/fail``. ``Monitor`` feeds one ``CycleReport`` to the
heartbeat and the metrics (ghostwatch.app.metrics); the daemon calls only
``Monitor.cycle_done(report)``, ``start()`` and ``aclose()``.

Invariants:
- Rule 1: a ping never holds up or breaks a cycle: it runs as a background task
  (the blocking GET in a worker thread), bounded by ``timeout_s``; at most one is in
  flight; every failure is caught here.
- Rule 2: a failing monitor is logged once (``health.ping_failed``, a warning), then
  tried again only after a capped exponential backoff, quietly, until it answers
  again (``health.ping_recovered``).
- Rule 3: the URL is a secret (its path is the check's token): logs show
  ``redact_url(url)`` only.
- Rule 4: a good cycle is pinged at most every ``min_interval_s`` (a burst of IDLE
  wake-ups is not a burst of pings); a change between good and failing is pinged at once.

Stdlib ``urllib`` rather than httpx: ghostwatch has no HTTP client dependency, and a
GET with a timeout and a verifying TLS context is all a ping needs.
"""

from __future__ import annotations

import asyncio
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

import structlog

from ghostwatch import __version__
from ghostwatch.adapters.net import tls_context
from ghostwatch.config.health import HealthConfig, redact_url
from ghostwatch.errors import ConfigError

if TYPE_CHECKING:
    from ghostwatch.app.metrics import Metrics
    from ghostwatch.app.reports import CycleReport
    from ghostwatch.store.database import Store

__all__ = ["NO_MONITOR", "Heartbeat", "Monitor", "http_get"]

log = structlog.get_logger(__name__)

BACKOFF_FIRST_S = 60.0
BACKOFF_CAP_S = 900.0
MIN_INTERVAL_S = 60.0


def http_get(url: str, timeout_s: float) -> int:
    """GET ``url`` (TLS verified); return the HTTP status. Raise OSError (URLError,
    HTTPError, timeouts) if there is no answer or it is not 2xx."""
    request = urllib.request.Request(  # noqa: S310 - the scheme is http(s), checked in config
        url, headers={"User-Agent": f"ghostwatch/{__version__}"}
    )
    context = tls_context(None) if url.startswith("https:") else None
    try:
        with urllib.request.urlopen(request, timeout=timeout_s, context=context) as answer:  # noqa: S310
            return int(answer.status)
    except urllib.error.HTTPError as exc:
        exc.close()  # it holds the connection
        raise OSError(f"the monitor answered HTTP {exc.code} {exc.reason}") from None


class Heartbeat:
    """Pings ``url`` after good cycles and ``url/fail`` after failing ones."""

    def __init__(
        self,
        url: str,
        *,
        timeout_s: float = 5.0,
        monotonic: Callable[[], float] = time.monotonic,
        min_interval_s: float = MIN_INTERVAL_S,
        backoff_first_s: float = BACKOFF_FIRST_S,
        backoff_cap_s: float = BACKOFF_CAP_S,
    ) -> None:
        self.url = url.rstrip("/")
        self.timeout_s = timeout_s
        self._monotonic = monotonic
        self._min_interval_s = min_interval_s
        self._first_s, self._cap_s = backoff_first_s, backoff_cap_s
        self._task: asyncio.Task[None] | None = None
        self._last: tuple[bool, float] | None = None  # (was ok, when) of the last ping sent
        self._failures = 0  # consecutive failed pings
        self._quiet_until = 0.0

    def __repr__(self) -> str:
        return f"Heartbeat({redact_url(self.url)!r})"

    def cycle_ok(self) -> None:
        """A cycle succeeded: ping ``url`` (in the background)."""
        self._maybe_ping(ok=True)

    def cycle_failed(self) -> None:
        """A cycle failed: ping ``url/fail`` (in the background)."""
        self._maybe_ping(ok=False)

    def _maybe_ping(self, *, ok: bool) -> None:
        now = self._monotonic()
        if self._task is not None and not self._task.done():
            return  # Rule 1: one at a time
        if now < self._quiet_until:
            return  # Rule 2: backing off
        if self._last is not None:
            was_ok, at = self._last
            if was_ok == ok and now - at < self._min_interval_s:
                return  # Rule 4
        self._last = (ok, now)
        url = self.url if ok else f"{self.url}/fail"
        self._task = asyncio.get_running_loop().create_task(self._ping(url), name="heartbeat")

    async def _ping(self, url: str) -> None:
        try:
            # wait_for also bounds what the socket timeout does not cover (a slow DNS)
            await asyncio.wait_for(
                asyncio.to_thread(http_get, url, self.timeout_s), self.timeout_s + 1
            )
        except Exception as exc:  # Rule 1: whatever happens, the cycle goes on
            self._failed(exc)
            return
        if self._failures:
            log.info("health.ping_recovered", url=redact_url(self.url), after=self._failures)
        self._failures = 0

    def _failed(self, exc: BaseException) -> None:
        delay = min(self._cap_s, self._first_s * 2 ** min(self._failures, 30))
        self._failures += 1
        self._quiet_until = self._monotonic() + delay
        self._last = None  # after the backoff, whichever ping is due goes out at once
        error = f"{type(exc).__name__}: {exc}".replace(self.url, redact_url(self.url))
        event = "health.ping_failed"
        if self._failures == 1:
            log.warning(event, url=redact_url(self.url), error=error, retry_in_s=delay)
        else:
            log.debug(event, url=redact_url(self.url), error=error, retry_in_s=delay)

    async def drain(self) -> None:
        """Wait for the ping in flight, if any (bounded by its timeout)."""
        if self._task is not None:
            await asyncio.wait({self._task}, timeout=self.timeout_s + 2)


class Monitor:
    """The heartbeat and the metrics of one process, each optional."""

    def __init__(
        self,
        heartbeat: Heartbeat | None = None,
        metrics: Metrics | None = None,
        config: HealthConfig | None = None,
    ) -> None:
        self.heartbeat, self.metrics = heartbeat, metrics
        self.config = config or HealthConfig()
        self._textfile_error: str | None = None

    @classmethod
    def from_config(
        cls, config: HealthConfig, accounts: list[str], *, clock: Callable[[], datetime]
    ) -> Monitor:
        """Build (without any I/O) what ``[health]`` asks for."""
        heartbeat = None
        if config.ping_url is not None:
            timeout_s = config.ping_timeout.total_seconds()
            heartbeat = Heartbeat(config.ping_url.get_secret_value(), timeout_s=timeout_s)
        metrics = None
        if config.metrics is not None or config.metrics_textfile is not None:
            from ghostwatch.app.metrics import Metrics  # prometheus_client only when asked for

            metrics = Metrics(accounts, clock=clock)
        return cls(heartbeat, metrics, config)

    def start(self, store: Store, *, serve: bool) -> None:
        """Seed the metrics from ``store`` and, if ``serve``, open the endpoint. Raise
        ConfigError if the endpoint cannot bind (the daemon then exits 2, no restart)."""
        if self.metrics is None:
            return
        for account in self.metrics.accounts:
            state = store.account_state(account)
            self.metrics.seed_last_sync(account, state.last_sync_at if state else None)
        listen = self.config.listen()
        if serve and listen is not None:
            try:
                host, port = self.metrics.serve(*listen)
            except OSError as exc:
                where = f"{listen[0]}:{listen[1]}"
                raise ConfigError([f"health.metrics: cannot listen on {where}: {exc}"]) from None
            log.info("health.metrics_serving", address=f"{host}:{port}")

    def cycle_done(self, report: CycleReport) -> None:
        """Tell the monitors about one cycle; never raises (Rule 1)."""
        try:
            if self.metrics is not None:
                self.metrics.observe(report)
                self._write_textfile(report.now)
            if self.heartbeat is not None:
                (self.heartbeat.cycle_ok if report.ok else self.heartbeat.cycle_failed)()
        except Exception:
            log.exception("health.observe_failed")

    def _write_textfile(self, now: datetime) -> None:
        path = self.config.metrics_textfile
        if path is None or self.metrics is None:
            return
        try:
            self.metrics.write_textfile(path, now)
        except OSError as exc:
            error = f"{type(exc).__name__}: {exc}"
            if error != self._textfile_error:  # once per distinct problem
                log.warning("health.textfile_failed", path=str(path), error=error)
            self._textfile_error = error
            return
        self._textfile_error = None

    async def aclose(self) -> None:
        """Let the last ping finish (bounded) and stop the endpoint."""
        if self.heartbeat is not None:
            await self.heartbeat.drain()
        if self.metrics is not None:
            self.metrics.stop()


NO_MONITOR = Monitor()
