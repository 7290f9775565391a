"""Idle cost of ``ghostwatch run``: CPU and RSS while nothing is due.

Run: .venv/bin/python bench/idle_cost.py [--minutes 10] [--clients 5]   (quick: --minutes 1)

Starts ``run`` on the rig's Dovecot with a handful of clients whose check-ins are days
away (default poll_interval of 60 s, so Sent is polled as in production), waits for the
first cycle and IDLE, then samples /proc/<pid>/stat (utime + stime) and VmRSS every
5 s for N minutes. Next to it, in the same run: a bare Python process holding one
imapclient IDLE on the same server (the floor any IDLE-based watcher pays).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import _common
import _daemon
from _common import Row

NOW = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)
TICK = os.sysconf("SC_CLK_TCK")
SAMPLE_S = 5.0

RAW_IDLE = """
import sys
from imapclient import IMAPClient
c = IMAPClient(sys.argv[1], int(sys.argv[2]), ssl=False, timeout=60)
c.login(sys.argv[3], "secret")
c.select_folder("INBOX", readonly=True)
while True:
    c.idle()
    c.idle_check(timeout=540)
    c.idle_done()
"""


def cpu_s(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime (fields 14, 15)


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def sample(pids: dict[str, int], minutes: float) -> dict[str, dict[str, float]]:
    """CPU% over the window and mean/max RSS of each pid."""
    cpu0 = {k: cpu_s(p) for k, p in pids.items()}
    rss: dict[str, list[float]] = {k: [] for k in pids}
    start = time.monotonic()
    end = start + minutes * 60
    while time.monotonic() < end:
        for k, p in pids.items():
            rss[k].append(rss_mb(p))
        time.sleep(min(SAMPLE_S, max(0.0, end - time.monotonic())))
    wall = time.monotonic() - start
    return {
        k: {
            "cpu_pct": 100 * (cpu_s(p) - cpu0[k]) / wall,
            "rss_mean": sum(rss[k]) / len(rss[k]),
            "rss_max": max(rss[k]),
        }
        for k, p in pids.items()
    }


def measure(minutes: float, clients: int) -> tuple[dict[str, dict[str, float]], dict[str, Any]]:
    with _daemon.rig(clients) as (scenario, server, box):
        _daemon.start_threads(box, clients, NOW - timedelta(days=1))
        other = server.new_account("raw")
        other.client().logout()  # create the mailbox
        raw = subprocess.Popen(
            [sys.executable, "-c", RAW_IDLE, server.host, str(server.port), other.user]
        )
        daemon = _daemon.Daemon(scenario, NOW)
        try:
            daemon.wait_for("watch.idling")
            daemon.wait_for("cycle.done")
            time.sleep(5)  # settle: imports done, first cycle over
            before = daemon.count("cycle.done")
            result = sample({"ghostwatch": daemon.proc.pid, "raw": raw.pid}, minutes)
            extra = {"cycles": daemon.count("cycle.done") - before}
        finally:
            daemon.stop()
            raw.terminate()
            raw.wait(timeout=10)
    return result, extra


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=5)
    args = parser.parse_args()
    result, extra = measure(args.minutes, args.clients)
    gw, raw = result["ghostwatch"], result["raw"]
    rows = [
        Row("CPU", f"{gw['cpu_pct']:.3f} %", f"{raw['cpu_pct']:.3f} %",
            f"+{gw['cpu_pct'] - raw['cpu_pct']:.3f} pts",
            f"{extra['cycles']} cycles in {args.minutes:g} min (poll 60 s)"),
        Row("RSS mean", f"{gw['rss_mean']:.1f} MB", f"{raw['rss_mean']:.1f} MB",
            f"{gw['rss_mean'] / raw['rss_mean']:.1f}x", f"{args.clients} clients"),
        Row("RSS max", f"{gw['rss_max']:.1f} MB", f"{raw['rss_max']:.1f} MB",
            f"{gw['rss_max'] / raw['rss_max']:.1f}x", ""),
    ]  # fmt: skip
    _common.print_table(
        "Idle cost: ghostwatch run vs one bare imapclient IDLE",
        rows,
        command=_common.command_line(),
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
