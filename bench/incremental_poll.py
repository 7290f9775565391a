"""Incremental poll: a sync of INBOX + Sent with nothing new, against raw STATUS.

Run: .venv/bin/python bench/incremental_poll.py [--messages 2000] [--polls 50]

Starts a Dovecot from the test rig, fills INBOX (and Sent, a quarter as many) with
realistic messages (bench/_mail.py), runs ghostwatch's first sync untimed, then
times ``--polls`` no-change polls, alternating with the raw baseline:

- ghostwatch ``sync_account`` (INBOX + Sent): what a poll costs once folders are
  known, cursors and ``last_sync_at`` writes in the real SQLite store included;
- ghostwatch daemon cycle's mail part: ``resolve_folders`` (LIST) + ``sync_account``;
- raw imapclient: one STATUS of INBOX and Sent each (the same items ghostwatch asks
  for), and LIST + those STATUS for the cycle.

IMAP commands are counted on the ImapMailbox (every command goes through one method;
the count is exact). Median and p95 milliseconds per poll are printed side by side.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from datetime import timedelta
from typing import Any

import _common
import _mail
from _common import Row
from imapclient import IMAPClient

from ghostwatch.app.sync import resolve_folders, sync_account
from ghostwatch.app.sync_context import SyncContext
from ghostwatch.core.domain import FolderRole
from ghostwatch.store.database import Store

WANTED = {FolderRole.INBOX: "INBOX", FolderRole.SENT: "auto"}
STATUS_ITEMS = [b"UIDVALIDITY", b"UIDNEXT", b"MESSAGES", b"HIGHESTMODSEQ"]


def seed(server: Any, messages: int) -> Any:
    account = server.new_account("poll")
    account.write_maildir("INBOX", _mail.inbox(messages))
    account.write_maildir("Sent", _mail.sent(max(messages // 4, 1)))
    client = account.client()
    for folder in ("INBOX", "Sent"):  # let Dovecot index both before anything is timed
        client.select_folder(folder, readonly=True)
        client.search(["ALL"])
    account.close()
    return account


def ms(samples: list[float]) -> tuple[float, float]:
    """(median, p95) in milliseconds."""
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p95 * 1000


async def measure(server: Any, account: Any, polls: int, store: Store) -> dict[str, Any]:
    ctx = SyncContext(
        account=_mail.ACCOUNT,
        addresses=frozenset({_mail.ACCOUNT}),
        matchers=_mail.client_matchers(),
        initial_scan=timedelta(days=3650),
        now=_mail.NOW,
    )
    raw = IMAPClient(server.host, server.port, ssl=False, timeout=60)
    raw.login(account.user, _common.PASSWORD)
    mailbox = _common.CountingMailbox(_common.endpoint(server.host, server.port, account.user))
    out: dict[str, Any] = {"sync": [], "cycle": [], "status2": [], "status1": [], "list2": []}
    async with mailbox:
        folders = await resolve_folders(mailbox, WANTED)
        first = await sync_account(mailbox, store, ctx, folders)  # the initial sync, untimed
        out["stored"] = first.stored
        for i in range(polls):
            now = replace(ctx, now=_mail.NOW + timedelta(minutes=i + 1))
            mailbox.commands.clear()
            start = time.perf_counter()
            report = await sync_account(mailbox, store, now, folders)
            out["sync"].append(time.perf_counter() - start)
            if report.stored:
                raise RuntimeError("a no-change poll stored messages")
            out["sync_commands"] = dict(mailbox.commands)

            mailbox.commands.clear()
            start = time.perf_counter()
            await sync_account(mailbox, store, now, await resolve_folders(mailbox, WANTED))
            out["cycle"].append(time.perf_counter() - start)
            out["cycle_commands"] = dict(mailbox.commands)

            start = time.perf_counter()
            raw.folder_status("INBOX", STATUS_ITEMS)
            out["status1"].append(time.perf_counter() - start)
            raw.folder_status("Sent", STATUS_ITEMS)
            out["status2"].append(time.perf_counter() - start)

            start = time.perf_counter()
            raw.list_folders()
            raw.folder_status("INBOX", STATUS_ITEMS)
            raw.folder_status("Sent", STATUS_ITEMS)
            out["list2"].append(time.perf_counter() - start)
    raw.logout()
    return out


def report(args: argparse.Namespace, out: dict[str, Any]) -> None:
    def cmds(counts: dict[str, int]) -> str:
        return ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))

    sync_ms, sync_p95 = ms(out["sync"])
    cycle_ms, cycle_p95 = ms(out["cycle"])
    s2_ms, s2_p95 = ms(out["status2"])
    s1_ms, _ = ms(out["status1"])
    l2_ms, l2_p95 = ms(out["list2"])
    rows = [
        Row("IMAP commands, sync_account", cmds(out["sync_commands"]), "status 2",
            f"{sum(out['sync_commands'].values()) / 2:.2f}x"),
        Row("ms, sync_account (median / p95)", f"{sync_ms:.2f} / {sync_p95:.2f}",
            f"{s2_ms:.2f} / {s2_p95:.2f}", f"{sync_ms / s2_ms:.2f}x", "raw: 2 STATUS"),
        Row("IMAP commands, cycle", cmds(out["cycle_commands"]), "list 1, status 2", ""),
        Row("ms, cycle = LIST + sync (median / p95)", f"{cycle_ms:.2f} / {cycle_p95:.2f}",
            f"{l2_ms:.2f} / {l2_p95:.2f}", f"{cycle_ms / l2_ms:.2f}x", "raw: LIST + 2 STATUS"),
        Row("ms, one STATUS round trip (median)", "", f"{s1_ms:.2f}", ""),
    ]  # fmt: skip
    title = (
        f"No-change poll of INBOX ({args.messages:,}) + Sent ({max(args.messages // 4, 1):,}), "
        f"{args.polls} polls"
    )
    _common.print_table(title, rows, command=_common.command_line())
    print(f"\n(first sync stored {out['stored']:,} messages, untimed)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--polls", type=int, default=50)
    args = parser.parse_args(argv)
    _common.quiet_logs()
    with _common.dovecot() as server, tempfile.TemporaryDirectory(prefix="gw-bench-") as tmp:
        account = seed(server, args.messages)
        store = Store.open(f"sqlite:///{tmp}/ghostwatch.db")
        try:
            out = asyncio.run(measure(server, account, args.polls, store))
        finally:
            store.close()
    report(args, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
