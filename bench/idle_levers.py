"""Two of the idle-cost levers of ``run``, each on its own, beside what they replaced.

Run: .venv/bin/python bench/idle_levers.py [--accounts 100] [--seconds 20]
     (quick: --accounts 3 --seconds 2)

1. Waiting IDLEs: ``--accounts`` connections to the rig's Dovecot, each in
   ``ImapMailbox.idle_wait`` for ``--seconds`` with nothing arriving; the process's CPU
   time over that window. Baseline, same run, same connections: the wait as it was
   before ghostwatch.adapters.imap_idle (imapclient's ``idle_check`` in 0.2 s slices, to look
   for cancellation).
2. Lease renewals: a LeaseKeeper holding ``--accounts`` leases (and its presence) on
   SQLite renews them 20 times; CPU per round with one UPDATE for all (``renew``)
   against one statement per lease (``_take`` each, as before).

The third lever, the quiet poll, is in bench/scale.py (the daemon as a whole).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import threading
import time
from datetime import timedelta
from typing import Any

import _common
from _common import Row

from ghostwatch.adapters.imap import ImapMailbox
from ghostwatch.app.lease import LeaseKeeper
from ghostwatch.store.database import Store

SLICE_S = 0.2


def sliced_idle(client: Any, timeout_s: float, stop: threading.Event) -> list[Any]:
    """The baseline: the IDLE wait before ghostwatch.adapters.imap_idle, as it was."""
    deadline = time.monotonic() + timeout_s
    client.idle()
    seen: list[Any] = []
    while not seen and not stop.is_set():
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        slice_s = min(remaining, SLICE_S)
        sliced_at = time.monotonic()
        responses = client.idle_check(timeout=slice_s)
        seen = [r for r in responses if not (isinstance(r, tuple) and r and r[0] == b"OK")]
        if not responses and time.monotonic() - sliced_at < slice_s / 2:
            break
    client.idle_done()
    return seen


async def idle_cpu(server: Any, n: int, seconds: float, *, sliced: bool) -> float:
    """CPU % of this process while ``n`` IDLEs wait ``seconds`` with nothing arriving."""
    boxes = [server.new_account("lever") for _ in range(n)]
    mailboxes = [ImapMailbox(_common.endpoint(server.host, server.port, b.user)) for b in boxes]
    stops = [threading.Event() for _ in mailboxes]
    try:
        for mailbox in mailboxes:
            await mailbox.__aenter__()
            await mailbox.examine("INBOX")
        tasks = [
            asyncio.ensure_future(
                mb._call("idle", sliced_idle, seconds + 60, stop)
                if sliced
                else mb.idle_wait(seconds + 60)
            )
            for mb, stop in zip(mailboxes, stops, strict=True)
        ]
        await asyncio.sleep(1.0)  # every IDLE is on
        cpu0, wall0 = time.process_time(), time.monotonic()
        await asyncio.sleep(seconds)
        cpu = 100 * (time.process_time() - cpu0) / (time.monotonic() - wall0)
        for stop in stops:
            stop.set()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    finally:
        for mailbox in mailboxes:
            await mailbox.__aexit__(None, None, None)
        for box in boxes:
            box.close()
    return cpu


def renewal_ms(n: int, rounds: int = 20) -> dict[str, float]:
    """CPU milliseconds per renewal round of ``n`` leases, batched and one by one."""
    with tempfile.TemporaryDirectory(prefix="gw-bench-") as directory:
        store = Store.open(f"sqlite:///{directory}/gw.db")
        keeper = LeaseKeeper(store, ttl=timedelta(seconds=60), holder="h:b:1:0", background=False)
        keeper.refresh([f"a{i}" for i in range(n)])
        out = {}
        for label in ("one by one", "batched"):
            cpu0 = time.process_time()
            for _ in range(rounds):
                if label == "batched":
                    keeper.renew()
                else:
                    for account in list(keeper._until):
                        keeper._take(account)
            out[label] = 1000 * (time.process_time() - cpu0) / rounds
        keeper.close()
        store.close()
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--accounts", type=int, default=100)
    p.add_argument("--seconds", type=float, default=20.0)
    args = p.parse_args()
    _common.quiet_logs()
    with _common.dovecot() as server:
        asleep = asyncio.run(idle_cpu(server, args.accounts, args.seconds, sliced=False))
        sliced = asyncio.run(idle_cpu(server, args.accounts, args.seconds, sliced=True))
    ms = renewal_ms(args.accounts)
    n = args.accounts
    rows = [
        Row(f"{n} waiting IDLEs: process CPU", f"{asleep:.3f} %", f"{sliced:.2f} % (0.2 s slices)",
            f"{asleep / sliced:.3f}" if sliced else "", "sleeps until told"),
        Row(f"renewing {n} leases (SQLite): CPU per round", f"{ms['batched']:.2f} ms",
            f"{ms['one by one']:.1f} ms (a statement each)",
            f"{ms['batched'] / ms['one by one']:.3f}", "one UPDATE ... RETURNING"),
    ]  # fmt: skip
    _common.print_table("Idle levers, each on its own", rows, command=_common.command_line())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
