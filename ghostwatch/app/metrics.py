"""Prometheus metrics of the daemon (``[health].metrics`` / ``metrics_textfile``).

One registry per ``Metrics`` (never prometheus_client's global one), fed from each
``CycleReport``:

========================================== ======= =====================================
``ghostwatch_last_sync_timestamp_seconds``  gauge   {account}: last good read of the mailbox
``ghostwatch_sync_age_seconds``             gauge   {account}: now minus that (+Inf: never)
``ghostwatch_nudges_total``                 counter {account, outcome}: sent, drafted,
                                                    failed, unknown, cancelled
``ghostwatch_nudges_held``                  gauge   {account}: due but held by a safety
                                                    rule at the last cycle
``ghostwatch_summary_sent_timestamp_seconds`` gauge when the daily summary last went out
``ghostwatch_cycles_total``                 counter cycles run
``ghostwatch_cycle_failures_total``         counter cycles with any failure
========================================== ======= =====================================

Invariants: scraping reads only this object (no database, no mailbox); the clock is
injected (``clock``); nothing here raises into a cycle: ``Monitor`` guards the calls.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge, start_http_server
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import write_to_textfile
from prometheus_client.registry import Collector

from ghostwatch.core.domain import Action

if TYPE_CHECKING:
    from wsgiref.simple_server import WSGIServer

    from ghostwatch.app.reports import CycleReport

__all__ = ["Metrics"]


class _SyncAge(Collector):
    """``ghostwatch_sync_age_seconds``, computed at scrape time from the last syncs."""

    def __init__(self, last: dict[str, float | None], clock: Callable[[], datetime]) -> None:
        self._last, self._clock = last, clock
        self.at: datetime | None = None  # set while writing a textfile: the cycle's time

    def collect(self) -> Iterable[Metric]:
        family = GaugeMetricFamily(
            "ghostwatch_sync_age_seconds",
            "Seconds since the mailbox was last read successfully (+Inf: never).",
            labels=["account"],
        )
        now = (self.at or self._clock()).timestamp()
        for account, at in sorted(self._last.items()):
            family.add_metric([account], math.inf if at is None else max(0.0, now - at))
        yield family


class Metrics:
    """The metrics of one daemon for ``accounts``; ``observe`` after every cycle."""

    def __init__(self, accounts: Iterable[str], *, clock: Callable[[], datetime]) -> None:
        self.registry = CollectorRegistry()
        self._last_sync: dict[str, float | None] = dict.fromkeys(accounts)
        self._server: WSGIServer | None = None
        self._thread: threading.Thread | None = None
        r = self.registry
        self.last_sync = Gauge(
            "ghostwatch_last_sync_timestamp_seconds",
            "When the mailbox was last read successfully (Unix time).",
            ["account"],
            registry=r,
        )
        self.nudges = Counter(
            "ghostwatch_nudges", "Nudges by outcome.", ["account", "outcome"], registry=r
        )
        self.held = Gauge(
            "ghostwatch_nudges_held",
            "Nudges due but held by a safety rule at the last cycle.",
            ["account"],
            registry=r,
        )
        self.summary_sent = Gauge(
            "ghostwatch_summary_sent_timestamp_seconds",
            "When the daily summary was last sent (Unix time; 0: not since start).",
            registry=r,
        )
        self.cycles = Counter("ghostwatch_cycles", "Cycles run.", registry=r)
        self.cycle_failures = Counter(
            "ghostwatch_cycle_failures", "Cycles in which anything failed.", registry=r
        )
        self._age = _SyncAge(self._last_sync, clock)
        r.register(self._age)
        for account in self._last_sync:
            self.held.labels(account).set(0)
            for outcome in ("sent", "failed"):  # present from the start: rate() needs them
                self.nudges.labels(account, outcome)

    @property
    def accounts(self) -> list[str]:
        return list(self._last_sync)

    def seed_last_sync(self, account: str, at: datetime | None) -> None:
        """The last good read known at start (from the store), before any cycle."""
        self._set_sync(account, at)

    def _set_sync(self, account: str, at: datetime | None) -> None:
        self._last_sync[account] = None if at is None else at.timestamp()
        if at is not None:
            self.last_sync.labels(account).set(at.timestamp())

    def observe(self, report: CycleReport) -> None:
        """Count what one cycle did."""
        self.cycles.inc()
        if not report.ok:
            self.cycle_failures.inc()
        if report.summary_sent:
            self.summary_sent.set(report.now.timestamp())
        for account in report.accounts:
            if account.held_by is not None:
                continue  # another process works on it and reports it
            if account.sync is not None:
                self._set_sync(account.account, report.now)
            held = sum(1 for d in account.decisions if d.action is Action.HOLD)
            self.held.labels(account.account).set(held)
            for delivery in account.deliveries:
                if delivery.status is not None:
                    self.nudges.labels(account.account, delivery.status.value).inc()

    # --- exposition ------------------------------------------------------------------

    def serve(self, host: str, port: int) -> tuple[str, int]:
        """Serve ``/metrics`` on ``host``:``port`` in a daemon thread; return the bound
        address (port 0 picks a free one). Raise OSError if it cannot bind."""
        self._server, self._thread = start_http_server(port, addr=host, registry=self.registry)
        bound = self._server.server_address
        return str(bound[0]), int(bound[1])

    def write_textfile(self, path: Path, now: datetime) -> None:
        """Write the metrics to ``path`` atomically (a temporary file renamed over it),
        as node_exporter's textfile collector wants, the sync age as of ``now`` (the
        cycle's time: the file is read later; ``..._last_sync_timestamp_seconds`` with
        PromQL's ``time()`` gives the age at any moment). Raise OSError if it cannot."""
        self._age.at = now
        try:
            write_to_textfile(str(path), self.registry)
        finally:
            self._age.at = None

    def stop(self) -> None:
        """Stop serving (idempotent)."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def samples(self) -> Iterator[tuple[str, dict[str, str], float]]:
        """Every current sample as ``(name, labels, value)`` (for tests and status)."""
        for metric in self.registry.collect():
            for sample in metric.samples:
                yield sample.name, dict(sample.labels), sample.value
