"""Cost as the work grows: ``ghostwatch run`` with 1, 10 and 100 accounts on one Dovecot.

Run: .venv/bin/python bench/scale.py [--sizes 1,10,100] [--seconds 60] [--replies 10]
     [--scan 3000]          (quick: --sizes 1,3 --seconds 5 --replies 2 --scan 200)

For each size N: N accounts (a mailbox each, one client each, nothing due), one daemon
(``run``, default poll_interval 60 s) on a SQLite file. Once every account is IDLE and
the first cycle is over: idle CPU % and RSS over ``--seconds``, the process's thread
count, then ``--replies`` client replies APPENDed to random accounts, each timed until
the store shows it as the client's last inbound message (what ``status`` prints).
The baseline is the same daemon with 1 account, in the same run: the ratio column.

Then the initial scan of one mailbox (``--scan`` messages, 40 % from clients) by
``once``, on SQLite and on PostgreSQL (a throwaway cluster), same mailbox, same run.
Targets (issue 17): <= 2 MB and <= 2 threads per extra idle account, idle CPU < 1 %
at 100 accounts, p95 latency at 100 within 1.5x of 1 account.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import textwrap
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import _common
import _daemon
import idle_cost
from _common import Row

from ghostwatch.app.bootstrap import App
from ghostwatch.config.loader import load_config
from tests.support.scenario import Scenario, client_toml, mail
from tests.support.smtpd import SmtpTestServer

NOW = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)  # a day after our messages: nothing due


def threads(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("Threads:"):
                return int(line.split()[1])
    return 0


class ManyAccounts(Scenario):
    """N accounts on one Dovecot (``boxes``), one client each."""

    boxes: list[Any]

    def write(self) -> Path:
        parts = [f'[database]\nurl = "{self.url}"\n\n[rules]\nsend_window = "09:00-17:00"\n']
        for k, box in enumerate(self.boxes):
            parts.append(
                textwrap.dedent(f"""
                [[accounts]]
                name = "a{k}"
                address = "me{k}@studio.example"
                timezone = "UTC"

                [accounts.imap]
                host = "{box.host}"
                port = {box.port}
                security = "none"
                username = "{box.user}"
                password = "secret"

                [accounts.smtp]
                host = "127.0.0.1"
                port = {self.smtp_port}
                security = "none"
                username = ""
                """)
            )
        parts += [
            client_toml(f"c{k}", [f"c{k}@c{k}.example"], account=f'"a{k}"')
            for k in range(len(self.boxes))
        ]
        self.config_path.write_text("\n".join(parts), encoding="utf-8")
        return self.config_path


def _reply_latency(app: App, box: Any, k: int, i: int) -> float:
    at = NOW - timedelta(hours=2) + timedelta(seconds=i)
    raw = mail(
        f"c{k}@c{k}.example", f"me{k}@studio.example", "Re: x", message_id=f"<r{i}@c{k}>", date=at
    )
    box.append("INBOX", raw, internal_date=at)
    started = time.monotonic()
    while time.monotonic() - started < 60:
        facts = app.store.client_facts(f"a{k}").get(f"c{k}")
        if facts is not None and facts.last_inbound == at:
            return time.monotonic() - started
        time.sleep(0.005)
    raise RuntimeError("the reply never reached the store")


def measure_size(server: Any, smtp: Any, n: int, seconds: float, replies: int) -> dict[str, float]:
    boxes = [server.new_account(f"s{n}x") for _ in range(n)]
    with tempfile.TemporaryDirectory(prefix="gw-scale-") as d:
        scenario = ManyAccounts(Path(d), server.host, server.port, boxes[0].user, smtp.port)
        scenario.boxes = boxes
        for k, box in enumerate(boxes):
            at = NOW - timedelta(days=1)
            raw = mail(
                f"me{k}@studio.example", f"c{k}@c{k}.example", "x", message_id=f"<m{k}@s>", date=at
            )
            box.append("Sent", raw, internal_date=at)
        daemon = _daemon.Daemon(scenario, NOW)
        app: App | None = None
        try:
            deadline = time.monotonic() + 120 + n
            # every account watched and read once (one sync.done per account)
            while daemon.count("watch.idling") < n or daemon.count("sync.done") < n:
                if time.monotonic() > deadline or daemon.proc.poll() is not None:
                    raise RuntimeError(f"{n} accounts never all idled")
                time.sleep(0.1)
            time.sleep(5)  # settle
            pid = daemon.proc.pid
            idle = idle_cost.sample({"gw": pid}, seconds / 60)["gw"]
            result = {"cpu": idle["cpu_pct"], "rss": idle["rss_mean"], "threads": threads(pid)}
            app = App.open(load_config(scenario.config_path))
            rng = random.Random(n)
            lat = [
                _reply_latency(app, boxes[k], k, i)
                for i, k in enumerate(rng.choices(range(n), k=replies))
            ]
            result["p50"] = statistics.median(lat)
            result["p95"] = sorted(lat)[min(len(lat) - 1, round(0.95 * (len(lat) - 1)))]
        finally:
            if app is not None:
                app.close()
            daemon.stop()
            for box in boxes:
                box.close()
    return result


def scan(server: Any, smtp: Any, messages: int, url: str, directory: Path) -> float:
    """Seconds for ``once`` to read a fresh copy of the scan mailbox into ``url``."""
    box = server.new_account("scan")
    at = NOW - timedelta(days=2)
    batch = [
        (mail(f"c{i % 5}@c{i % 5}.example" if i % 5 < 2 else f"n{i}@news.example",
              "me0@studio.example", f"m {i}", message_id=f"<s{i}@x>", date=at), at)
        for i in range(messages)
    ]  # fmt: skip
    box.write_maildir("INBOX", batch)
    scenario = ManyAccounts(
        directory, server.host, server.port, box.user, smtp.port, database_url=url
    )
    scenario.boxes = [box]
    scenario.write()
    app = App.open(load_config(scenario.config_path))
    try:
        started = time.monotonic()
        report = asyncio.run(app.cycle(NOW, dry_run=True))
        took = time.monotonic() - started
        assert report.ok, report.accounts[0].error
    finally:
        app.close()
        box.close()
    return took


def _size_rows(
    n: int, r: dict[str, float], base: dict[str, float], *, per: int, first: bool
) -> list[Row]:
    rss = "1.00x" if first else f"{(r['rss'] - base['rss']) / per:.2f} MB/acct"
    thr = "1.00x" if first else f"{(r['threads'] - base['threads']) / per:.2f}/acct"
    ms = lambda d: f"{d['p50'] * 1000:.0f} / {d['p95'] * 1000:.0f} ms"  # noqa: E731
    return [
        Row(f"{n} acct: idle CPU", f"{r['cpu']:.2f} %", f"{base['cpu']:.2f} %",
            f"+{r['cpu'] - base['cpu']:.2f} pts", ""),
        Row(f"{n} acct: RSS", f"{r['rss']:.1f} MB", f"{base['rss']:.1f} MB", rss, ""),
        Row(f"{n} acct: threads", f"{r['threads']:.0f}", f"{base['threads']:.0f}", thr, ""),
        Row(f"{n} acct: reply->store p50/p95", ms(r), ms(base),
            f"{r['p95'] / base['p95']:.2f}x p95", ""),
    ]  # fmt: skip


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="1,10,100")
    p.add_argument("--seconds", type=float, default=60.0)
    p.add_argument("--replies", type=int, default=10)
    p.add_argument("--scan", type=int, default=3000)
    args = p.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    _common.quiet_logs()  # the in-process scans log as the daemon does, into /dev/null
    smtp = SmtpTestServer().start()
    rows: list[Row] = []
    try:
        with _common.dovecot() as server:
            results = {n: measure_size(server, smtp, n, args.seconds, args.replies) for n in sizes}
            from tests.support.postgres import PostgresServer

            postgres = PostgresServer.launch()
            try:
                with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
                    sqlite_s = scan(server, smtp, args.scan, "", Path(a))
                    pg_s = scan(server, smtp, args.scan, postgres.new_database(), Path(b))
            finally:
                postgres.destroy()
    finally:
        smtp.stop()
    base = results[sizes[0]]
    for n in sizes:
        rows += _size_rows(n, results[n], base, per=max(1, n - sizes[0]), first=n == sizes[0])
    rows.append(
        Row(f"initial scan, {args.scan} msgs, PostgreSQL", f"{pg_s:.2f} s",
            f"{sqlite_s:.2f} s (SQLite)", f"{pg_s / sqlite_s:.2f}x", "same mailbox, same run")
    )  # fmt: skip
    _common.print_table(
        "Scale: one daemon, N accounts on one Dovecot", rows, command=_common.command_line()
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
