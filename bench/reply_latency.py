"""Reply-to-status latency of ``ghostwatch run`` next to raw IDLE latency, one run.

Run: .venv/bin/python bench/reply_latency.py [--replies 20]

- ghostwatch: ``run`` (poll_interval 10 min, so only IDLE can explain a change) on
  the rig's Dovecot; a client reply is APPENDed to INBOX and the clock runs until
  ``status`` (app.views.status_rows, the code behind the command) shows it as the client's
  last inbound message.
- raw: imapclient IDLE on INBOX of another mailbox on the same server; APPEND on a
  second connection; the clock runs until EXISTS arrives.
The two alternate, reply by reply. Dovecot itself delays IDLE notifications by ~0.5 s,
so the raw figure is the floor; the ratio shows what the daemon adds on top.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import _common
import _daemon
from _common import Row
from imapclient import IMAPClient

from ghostwatch.app import views
from ghostwatch.app.bootstrap import App
from ghostwatch.config.loader import load_config

NOW = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)  # a day after our messages: nothing due


def ghostwatch_once(app: App, box: Any, i: int) -> float:
    at = NOW - timedelta(hours=2) + timedelta(seconds=i)
    want = at.isoformat().replace("+00:00", "Z")
    _daemon.client_reply(box, 0, at, f"<r{i}@client0>")
    started = time.monotonic()
    while True:
        row = views.status_rows(app, NOW)[0]
        if row.last_inbound == want:
            return time.monotonic() - started
        if time.monotonic() - started > 30:
            raise RuntimeError("the reply never showed in status")
        time.sleep(0.005)


def raw_once(watcher: IMAPClient, writer: IMAPClient, i: int) -> float:
    raw = _daemon.mail("a@b.example", "c@d.example", "x", message_id=f"<raw{i}@b>", date=NOW)
    watcher.idle()
    writer.append("INBOX", raw)
    started = time.monotonic()
    try:
        while time.monotonic() - started < 30:
            if any(r[1] == b"EXISTS" for r in watcher.idle_check(timeout=1) if len(r) > 1):
                return time.monotonic() - started
        raise RuntimeError("EXISTS never arrived")
    finally:
        watcher.idle_done()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def measure(replies: int) -> tuple[list[float], list[float]]:
    with _daemon.rig(1, account_extra='poll_interval = "10m"') as (scenario, server, box):
        _daemon.start_threads(box, 1, NOW - timedelta(days=1))
        other = server.new_account("raw")
        watcher, writer = other.client(), other.client()
        watcher.select_folder("INBOX", readonly=True)
        daemon = _daemon.Daemon(scenario, NOW)
        app: App | None = None
        try:
            daemon.wait_for("watch.idling")
            daemon.wait_for("cycle.done")
            app = App.open(load_config(scenario.config_path))
            gw, raw = [], []
            for i in range(replies):
                gw.append(ghostwatch_once(app, box, i))
                time.sleep(0.3)  # let the watcher re-enter IDLE
                raw.append(raw_once(watcher, writer, i))
        finally:
            if app is not None:
                app.close()
            daemon.stop()
            other.close()
    return gw, raw


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replies", type=int, default=20)
    args = parser.parse_args()
    gw, raw = measure(args.replies)
    rows = [
        Row(
            f"p{p}",
            f"{percentile(gw, p) * 1000:.0f} ms",
            f"{percentile(raw, p) * 1000:.0f} ms",
            f"{percentile(gw, p) / percentile(raw, p):.2f}x",
            f"+{(percentile(gw, p) - percentile(raw, p)) * 1000:.0f} ms over raw IDLE",
        )
        for p in (50, 95)
    ]
    rows.append(
        Row("mean", f"{statistics.mean(gw) * 1000:.0f} ms", f"{statistics.mean(raw) * 1000:.0f} ms",
            f"{statistics.mean(gw) / statistics.mean(raw):.2f}x", f"{args.replies} replies")
    )  # fmt: skip
    _common.print_table(
        "Reply to status: ghostwatch run vs raw IDLE (Dovecot)",
        rows,
        command=_common.command_line(),
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
