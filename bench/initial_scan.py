"""Initial scan: ghostwatch's first sync of a big INBOX against a raw imapclient FETCH.

Run: .venv/bin/python bench/initial_scan.py --messages 100000   (CI: --messages 5000)

1. Starts a Dovecot from the test rig and writes N realistic messages (bench/_mail.py)
   straight into the INBOX Maildir, then lets Dovecot build its index (EXAMINE +
   SEARCH) and, unless --no-warmup, runs one unmeasured raw FETCH pass, so both
   measured runs find the same warm index, header cache and page cache.
2. Measures, each in a child process of its own (so peak RSS is that path's alone):
   - raw: imapclient EXAMINE, SEARCH SINCE, then UID FETCH of the same items
     ghostwatch asks for (BODY.PEEK[HEADER.FIELDS (the 29 classify.HEADER_FIELDS)],
     INTERNALDATE, RFC822.SIZE) in batches of the same size, as explicit UID lists;
   - socket: the ceiling: the same commands, each FETCH reply read off the socket
     line by line with the literals skipped, nothing parsed or kept;
   - ghostwatch: ``sync.sync_folder`` (STATUS, EXAMINE, SEARCH, fetch_headers batches,
     parse_headers + classify, body reads for bounces/auto-replies, record_messages,
     cursor) into a real Store on a temporary SQLite file, initial_scan of 10 years.
     Only mail that concerns a client is stored (sync.py, Invariant 7): about 40% of
     this mailbox.
   Login is outside the timed part of both.
3. Prints messages/s and peak RSS side by side, with the ratio (issue target: >= 0.70
   of the raw rate, peak RSS < 200 MB). With --rounds R both run R times, alternating,
   and the best of each is reported, with every round's own ratio next to it.

--profile FILE writes a cProfile of the ghostwatch run and prints its top functions.
--compare-stdlib-headers adds a ghostwatch run with the header fast path switched off
(every block through the stdlib parser, as before it), for the before/after figure.
--compare-progress adds two ghostwatch runs per round with the scan's progress on: a
tqdm bar (drawn into /dev/null as if it were a terminal) and sync.progress log events
at every batch (the costliest cadence); each is reported against the plain ghostwatch
run of the same round (ghostwatch.adapters.progress Rule 1: the hook must cost nothing measurable).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import re
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import _common
import _mail
from _common import Row

from ghostwatch.adapters.progress import NO_PROGRESS, ScanProgress
from ghostwatch.app.sync import sync_folder
from ghostwatch.app.sync_context import SyncContext
from ghostwatch.core.domain import FolderRole
from ghostwatch.core.mail import classify
from ghostwatch.store.database import Store

FOLDER = "INBOX"
INITIAL_SCAN = timedelta(days=3650)  # wide enough to take every message
DEFAULT_BATCH = 1000  # ImapMailbox.fetch_headers' default
TARGET_RATIO = 0.70
TARGET_RSS_MB = 200.0


# --- children -----------------------------------------------------------------------------


def child_raw(args: argparse.Namespace) -> dict[str, Any]:
    """The baseline: the same commands ghostwatch sends, results thrown away."""
    from imapclient import IMAPClient

    client = IMAPClient(args.host, args.port, ssl=False, timeout=120)
    client.login(args.user, _common.PASSWORD)
    client.normalise_times = False
    names = b" ".join(f.upper() for f in classify.HEADER_FIELDS)
    items = [b"BODY.PEEK[HEADER.FIELDS (" + names + b")]", b"INTERNALDATE", b"RFC822.SIZE"]
    since = (_mail.NOW - INITIAL_SCAN).date()
    start = time.perf_counter()
    client.folder_status(FOLDER, [b"UIDVALIDITY", b"UIDNEXT", b"MESSAGES"])
    client.select_folder(FOLDER, readonly=True)
    uids = sorted(client.search(["SINCE", since]))
    fetched = commands = 0
    for i in range(0, len(uids), args.batch):
        data = client.fetch(uids[i : i + args.batch], items)
        commands += 1
        fetched += len(data)
    elapsed = time.perf_counter() - start
    client.logout()
    return {"seconds": elapsed, "fetched": fetched, "commands": {"fetch": commands}}


_LITERAL = re.compile(rb"\{(\d+)\}\r\n$")


def child_socket(args: argparse.Namespace) -> dict[str, Any]:
    """The ceiling: the same commands, the FETCH replies read off the socket line by
    line with the literals skipped (no parsing, nothing kept). What is left of the
    time is Dovecot's and the kernel's."""
    from imapclient import IMAPClient

    client = IMAPClient(args.host, args.port, ssl=False, timeout=120)
    client.login(args.user, _common.PASSWORD)
    names = b" ".join(f.upper() for f in classify.HEADER_FIELDS)
    what = b"(BODY.PEEK[HEADER.FIELDS (" + names + b")] INTERNALDATE RFC822.SIZE)"
    since = (_mail.NOW - INITIAL_SCAN).date()
    imap = client._imap
    start = time.perf_counter()
    client.folder_status(FOLDER, [b"UIDVALIDITY", b"UIDNEXT", b"MESSAGES"])
    client.select_folder(FOLDER, readonly=True)
    uids = sorted(client.search(["SINCE", since]))
    fetched = commands = 0
    for i in range(0, len(uids), args.batch):
        tag = imap._new_tag()
        uid_set = ",".join(map(str, uids[i : i + args.batch])).encode()
        imap.send(tag + b" UID FETCH " + uid_set + b" " + what + b"\r\n")
        commands += 1
        while not (line := imap.file.readline()).startswith(tag):
            literal = _LITERAL.search(line)
            if literal is not None:
                imap.file.read(int(literal[1]))
                fetched += 1
        del imap.tagged_commands[tag]
    elapsed = time.perf_counter() - start
    client.logout()
    return {"seconds": elapsed, "fetched": fetched, "commands": {"fetch": commands}}


def _progress(child: str) -> ScanProgress:
    if child == "ghostwatch-bar":  # a terminal's bar, drawn where nobody sees it
        return ScanProgress(open(os.devnull, "w"), tty=True)
    if child == "ghostwatch-log":
        return ScanProgress(None, tty=False, every_s=0.0)  # an event at every batch
    return NO_PROGRESS


def hook_seconds(child: str, messages: int, batch: int) -> float:
    """The progress hook alone, as the scan calls it (one advance per batch): seconds."""
    _common.quiet_logs()
    batches = max(1, messages // batch)
    meter = _progress(child).start(_mail.ACCOUNT, FOLDER, batches * batch, scan=True)
    start = time.perf_counter()
    for _ in range(batches):
        meter.advance(batch)
    meter.finish()
    return time.perf_counter() - start


async def _sync(args: argparse.Namespace, store: Store) -> dict[str, Any]:
    ctx = SyncContext(
        account=_mail.ACCOUNT,
        addresses=frozenset({_mail.ACCOUNT}),
        matchers=_mail.client_matchers(),
        initial_scan=INITIAL_SCAN,
        now=_mail.NOW,
        progress=_progress(args.child),
    )
    mailbox = _common.CountingMailbox(_common.endpoint(args.host, args.port, args.user))
    profile = cProfile.Profile() if args.profile else None
    async with mailbox:
        mailbox.commands.clear()
        start = time.perf_counter()
        if profile is not None:
            profile.enable()
        report = await sync_folder(mailbox, store, ctx, FOLDER, FolderRole.INBOX)
        if profile is not None:
            profile.disable()
        elapsed = time.perf_counter() - start
    if profile is not None:
        profile.dump_stats(args.profile)
    return {
        "seconds": elapsed,
        "fetched": report.fetched,
        "stored": report.stored,
        "skipped": report.skipped,
        "commands": dict(mailbox.commands),
    }


def child_ghostwatch(args: argparse.Namespace) -> dict[str, Any]:
    _common.quiet_logs()
    if args.child == "ghostwatch-stdlib":
        # the header path before headers._plain_fields: every block through the parser
        from ghostwatch.core.mail import headers

        headers._plain_fields = lambda _raw: None
    with tempfile.TemporaryDirectory(prefix="gw-bench-db-") as tmp:
        store = Store.open(f"sqlite:///{tmp}/ghostwatch.db")
        try:
            result = asyncio.run(_sync(args, store))
        finally:
            store.close()
    return result


# --- parent ---------------------------------------------------------------------------------


def seed(server: Any, messages: int, seed_value: int) -> tuple[Any, dict[str, float]]:
    """Fill a fresh account's INBOX; return it and the setup timings."""
    account = server.new_account("bench")
    start = time.perf_counter()
    written = account.write_maildir(FOLDER, _mail.inbox(messages, seed_value))
    timings = {"write_s": time.perf_counter() - start}
    start = time.perf_counter()
    client = account.client()
    client.select_folder(FOLDER, readonly=True)
    found = len(client.search(["ALL"]))
    timings["index_s"] = time.perf_counter() - start
    account.close()
    if found != written:
        raise RuntimeError(f"Dovecot sees {found} of {written} messages written")
    return account, timings


def measure(args: argparse.Namespace) -> tuple[dict[str, Any], dict[str, Any], dict[str, float]]:
    script = str(Path(__file__).resolve())
    timeout = 120 + args.messages / 200  # generous: CI machines are slow
    with _common.dovecot() as server:
        account, timings = seed(server, args.messages, args.seed)
        child_args = ["--host", server.host, "--port", str(server.port), "--user", account.user]
        child_args += ["--batch", str(args.batch)]
        if not args.no_warmup:
            warm = _common.run_child(script, "raw", child_args, timeout_s=timeout)
            timings["warmup_s"] = warm["seconds"]
        raws: list[dict[str, Any]] = []
        gws: list[dict[str, Any]] = []
        sockets: list[dict[str, Any]] = []
        olds: list[dict[str, Any]] = []
        meters: dict[str, list[dict[str, Any]]] = {"ghostwatch-bar": [], "ghostwatch-log": []}
        for _ in range(args.rounds):
            raws.append(_common.run_child(script, "raw", child_args, timeout_s=timeout))
            extra = ["--profile", args.profile] if args.profile else []
            gws.append(
                _common.run_child(script, "ghostwatch", child_args + extra, timeout_s=timeout)
            )
            sockets.append(_common.run_child(script, "socket", child_args, timeout_s=timeout))
            if args.compare_stdlib_headers:
                old = _common.run_child(script, "ghostwatch-stdlib", child_args, timeout_s=timeout)
                olds.append(old)
            for child in meters if args.compare_progress else ():
                meters[child].append(
                    _common.run_child(script, child, child_args, timeout_s=timeout)
                )
    raw = min(raws, key=lambda r: r["seconds"])
    gw = min(gws, key=lambda r: r["seconds"])
    raw["peak_rss_mb"] = max(r["peak_rss_mb"] for r in raws)
    gw["peak_rss_mb"] = max(r["peak_rss_mb"] for r in gws)
    gw["socket"] = min(sockets, key=lambda r: r["seconds"])
    if olds:
        gw["stdlib_headers"] = min(olds, key=lambda r: r["seconds"])
    for child, runs in meters.items() if args.compare_progress else ():
        # seconds of the plain run / seconds with progress, round by round: 1.00 = free
        gw[child] = [g["seconds"] / m["seconds"] for g, m in zip(gws, runs, strict=True)]
    # each round's ghostwatch run against the raw run just before it
    gw["round_ratios"] = [r["seconds"] / g["seconds"] for r, g in zip(raws, gws, strict=True)]
    return raw, gw, timings


def report(
    args: argparse.Namespace, raw: dict[str, Any], gw: dict[str, Any], timings: dict[str, float]
) -> None:
    n = args.messages
    raw_rate = _common.rate(raw["fetched"], raw["seconds"])
    gw_rate = _common.rate(gw["fetched"], gw["seconds"])
    ratio = gw_rate / raw_rate
    sock_rate = _common.rate(gw["socket"]["fetched"], gw["socket"]["seconds"])
    rss_ok = gw["peak_rss_mb"] < TARGET_RSS_MB
    cmds = ", ".join(f"{k} {v}" for k, v in sorted(gw["commands"].items()))
    rows = [
        Row("messages/s", f"{gw_rate:,.0f}", f"{raw_rate:,.0f}", f"{ratio:.2f}",
            f"target >= {TARGET_RATIO:.2f}: {'met' if ratio >= TARGET_RATIO else 'MISSED'}"),
        Row("ratio, round by round", "", "",
            " ".join(f"{r:.2f}" for r in gw["round_ratios"]),
            "each ghostwatch run vs the raw run just before it"),
        Row("fraction of the socket ceiling", f"{gw_rate / sock_rate:.2f}",
            f"{raw_rate / sock_rate:.2f}", "",
            f"raw socket, lines read and literals skipped: {sock_rate:,.0f} msg/s"),
        Row("seconds", f"{gw['seconds']:.2f}", f"{raw['seconds']:.2f}",
            f"{gw['seconds'] / raw['seconds']:.2f}x"),
        Row("peak RSS (MB)", f"{gw['peak_rss_mb']:.0f}", f"{raw['peak_rss_mb']:.0f}",
            f"{gw['peak_rss_mb'] / raw['peak_rss_mb']:.2f}x",
            f"target < {TARGET_RSS_MB:.0f} MB: {'met' if rss_ok else 'MISSED'}"),
        Row("messages fetched / stored", f"{gw['fetched']:,} / {gw['stored']:,}",
            f"{raw['fetched']:,} / -", "",
            f"of {n:,} in INBOX; only mail that concerns a client is stored"),
        Row("IMAP commands", cmds,
            f"fetch {raw['commands']['fetch']}, + status, examine, search", ""),
    ]  # fmt: skip
    if "stdlib_headers" in gw:
        old = gw["stdlib_headers"]
        old_rate = _common.rate(old["fetched"], old["seconds"])
        rows.insert(1, Row("messages/s, stdlib header parser only", f"{old_rate:,.0f}",
                           f"{raw_rate:,.0f}", f"{old_rate / raw_rate:.2f}",
                           "before headers._plain_fields"))  # fmt: skip
    for child, label in (("ghostwatch-bar", "a tqdm bar"), ("ghostwatch-log", "log events")):
        if child in gw:
            ratios = gw[child]
            rows.append(Row(f"with progress: {label}", "", "",
                            " ".join(f"{r:.2f}" for r in ratios),
                            "plain run / run with it, same round (1.00 = free)"))  # fmt: skip
            hook = hook_seconds(child, n, args.batch)
            rows.append(Row(f"  the hook alone: {label}", f"{hook * 1e3:.2f} ms", "",
                            f"{hook / gw['seconds']:.5f}",
                            f"{max(1, n // args.batch)} advance() calls / the scan"))  # fmt: skip
    title = f"Initial scan of {n:,} messages (batch {args.batch}, best of {args.rounds})"
    _common.print_table(title, rows, command=_common.command_line())
    setup = ", ".join(f"{k} {v:.1f}" for k, v in timings.items())
    print(f"\nsetup: {setup} (Maildir write, Dovecot index build, unmeasured warm-up)")
    if args.profile:
        print(f"\nprofile of the ghostwatch run ({args.profile}), top 25 by own time:")
        pstats.Stats(args.profile, stream=sys.stdout).sort_stats("tottime").print_stats(25)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--batch", type=int, default=DEFAULT_BATCH)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-warmup", action="store_true")
    parser.add_argument("--profile", metavar="FILE")
    parser.add_argument(
        "--compare-stdlib-headers",
        action="store_true",
        help="also time ghostwatch with every header block through the stdlib parser",
    )
    parser.add_argument(
        "--compare-progress",
        action="store_true",
        help="also time ghostwatch with the scan's progress bar and with progress log events",
    )
    # child side
    children = (
        "raw",
        "socket",
        "ghostwatch",
        "ghostwatch-stdlib",
        "ghostwatch-bar",
        "ghostwatch-log",
    )
    parser.add_argument("--child", choices=children, help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    parser.add_argument("--host", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--user", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        run = {"raw": child_raw, "socket": child_socket}.get(args.child, child_ghostwatch)
        _common.write_result(args.result, run(args))
        return 0
    raw, gw, timings = measure(args)
    if gw["fetched"] != args.messages or not 0 < gw["stored"] < args.messages:
        print(
            f"warning: ghostwatch fetched {gw['fetched']}, stored {gw['stored']}", file=sys.stderr
        )
    report(args, raw, gw, timings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
