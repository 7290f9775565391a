"""Sending: N nudges through SmtpMailer and the outbox, against raw aiosmtplib.

Run: .venv/bin/python bench/send.py --nudges 100 [--rounds 3]

Renders N real nudges (built-in check-in template, one per client) and sends them
to the test rig's aiosmtpd sink (tests/support/smtpd.py, which parses and records
every message it receives: the same server cost for every path), each path on one
reused connection:

- raw: ``aiosmtplib.SMTP.send_message`` in a loop;
- SmtpMailer: ``send`` in a loop (it drives MAIL/RCPT/DATA itself to tell where a
  failure happened, and probes a reused connection with NOOP first);
- outbox: ``Courier.deliver`` per decision with a real Store on a temporary SQLite
  file: render, plan (+ event) -> re-check -> claim -> send -> record (+ event). No
  copy is filed to Sent (no IMAP here), so this is the outbox's own cost.

Paths alternate for ``--rounds`` rounds; the best messages/s of each is reported.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from email.message import EmailMessage
from typing import Any, cast

import _common  # puts the repository on sys.path
from _common import Row
from aiosmtplib import SMTP

from ghostwatch.adapters.imap import ImapMailbox
from ghostwatch.adapters.smtp import SmtpEndpoint, SmtpMailer
from ghostwatch.app.courier import Courier, new_message_id
from ghostwatch.core import render
from ghostwatch.core.domain import (
    AccountState,
    Action,
    ClientState,
    Decision,
    LadderKind,
    LadderStep,
    OutboxStatus,
    Rules,
    SendWindow,
    ThreadRef,
)
from ghostwatch.core.templates import TemplateSet
from ghostwatch.store.database import Store
from tests.support.smtpd import SmtpTestServer

NOW = datetime(2026, 11, 18, 10, 30, tzinfo=UTC)
DAY = timedelta(days=1)
RULES = Rules(
    "UTC", (LadderStep(7 * DAY, "check_in"),), 7 * DAY, SendWindow(dtime(9), dtime(17)),
    True, "", (), (),
)  # fmt: skip
ACCOUNT = AccountState(
    name="studio", address="me@studio.example", display_name="Nino Beridze", timezone="UTC",
    paused=False, last_sync_at=NOW, max_sync_age=timedelta(hours=2), max_nudges_per_day=10_000,
)  # fmt: skip


def plan(n: int, round_no: int) -> list[tuple[Decision, ClientState]]:
    """One due check-in per client (fresh anchors per round: every slot is new)."""
    out = []
    for i in range(n):
        email = f"jane{i}@client{i:04d}.example"
        thread = ThreadRef(
            f"<r{round_no}.{i}@studio.example>", (f"<x{i}@client.example>",),
            "Logo drafts, round 2", email, NOW - 8 * DAY,
        )  # fmt: skip
        client = ClientState(
            name=f"Client {i:04d}", account="studio", rules=RULES, first_name="Jane",
            emails=(email,), last_outbound=thread.sent_at, thread=thread,
        )  # fmt: skip
        decision = Decision(
            client=client.name, account="studio", action=Action.SEND, ladder="silence",
            kind=LadderKind.SILENCE, anchor=thread.message_id, step=1, template="check_in",
            at=NOW, reason=f"{client.name}: 8 days since your message; check-in due",
            to_addr=email, thread=thread,
        )  # fmt: skip
        out.append((decision, client))
    return out


def rendered(items: Sequence[tuple[Decision, ClientState]]) -> list[EmailMessage]:
    templates = TemplateSet(None)
    return [
        render.render_nudge(d, c, ACCOUNT, templates, message_id=new_message_id(ACCOUNT.address),
                            now=NOW)
        for d, c in items
    ]  # fmt: skip


async def send_raw(port: int, messages: Sequence[EmailMessage]) -> float:
    smtp = SMTP(hostname="127.0.0.1", port=port, start_tls=False)
    await smtp.connect()
    start = time.perf_counter()
    for msg in messages:
        await smtp.send_message(msg)
    elapsed = time.perf_counter() - start
    await smtp.quit()
    return elapsed


def endpoint(port: int) -> SmtpEndpoint:
    return SmtpEndpoint(host="127.0.0.1", port=port, security="none", local_hostname="bench")


async def send_mailer(port: int, messages: Sequence[EmailMessage]) -> float:
    async with SmtpMailer(endpoint(port)) as mailer:
        await mailer._connection()  # connect outside the timed part, as raw does
        start = time.perf_counter()
        for msg in messages:
            await mailer.send(msg)
        return time.perf_counter() - start


async def send_outbox(port: int, items: Sequence[tuple[Decision, ClientState]]) -> float:
    decisions = [d for d, _c in items]

    async def recheck(_message_id: str) -> Sequence[Decision]:
        return decisions  # still due: nothing arrived in between

    with tempfile.TemporaryDirectory(prefix="gw-bench-") as tmp:
        store = Store.open(f"sqlite:///{tmp}/ghostwatch.db")
        try:
            async with SmtpMailer(endpoint(port)) as mailer:
                await mailer._connection()
                # folders={}: no Sent copy, so the mailbox is never used
                courier = Courier(store, ACCOUNT, cast(ImapMailbox, None), mailer, {},
                                  TemplateSet(None), recheck)  # fmt: skip
                start = time.perf_counter()
                done = [await courier.deliver(d, c, NOW) for d, c in items]
                elapsed = time.perf_counter() - start
        finally:
            store.close()
    if any(d.status is not OutboxStatus.SENT for d in done):
        raise RuntimeError(f"not all sent: {[d.status for d in done]}")
    return elapsed


async def measure(n: int, rounds: int) -> dict[str, Any]:
    _common.quiet_logs()
    server = SmtpTestServer().start()
    times: dict[str, list[float]] = {"raw": [], "mailer": [], "outbox": []}
    try:
        for r in range(rounds):
            items = plan(n, r)
            messages = rendered(items)
            times["raw"].append(await send_raw(server.port, messages))
            times["mailer"].append(await send_mailer(server.port, messages))
            times["outbox"].append(await send_outbox(server.port, items))
        received = len(server.messages)
        size = sum(len(m.raw) for m in server.messages) // max(received, 1)
    finally:
        server.stop()
    if received != 3 * n * rounds:
        raise RuntimeError(f"the sink received {received} of {3 * n * rounds}")
    return {"times": times, "size": size}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nudges", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    out = asyncio.run(measure(args.nudges, args.rounds))
    n = args.nudges
    raw = n / min(out["times"]["raw"])
    mailer = n / min(out["times"]["mailer"])
    outbox = n / min(out["times"]["outbox"])
    rows = [
        Row("msg/s, SmtpMailer.send", f"{mailer:,.0f}", f"{raw:,.0f}", f"{mailer / raw:.2f}",
            "NOOP probe before each reuse"),
        Row("msg/s, outbox (plan, claim, send, record)", f"{outbox:,.0f}", f"{raw:,.0f}",
            f"{outbox / raw:.2f}", "real SQLite store, no Sent copy"),
        Row("ms per nudge, outbox", f"{1000 / outbox:.2f}", f"{1000 / raw:.2f}",
            f"{raw / outbox:.2f}x"),
    ]  # fmt: skip
    title = (
        f"Sending {n} nudges (~{out['size']:,} bytes each) on one connection, best of {args.rounds}"
    )
    _common.print_table(title, rows, command=_common.command_line())
    return 0


if __name__ == "__main__":
    sys.exit(main())
