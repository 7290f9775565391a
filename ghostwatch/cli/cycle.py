"""The commands that run the daemon's work: ``once``, ``run``, ``summary``, ``demo``.

``once`` prints what its cycle did (``print_cycle``) and exits 1 if an account could
not be read or a nudge failed; ``run`` is the service until it is stopped.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from ghostwatch.adapters import logs
from ghostwatch.cli.shared import EXIT_FAILED, EXIT_OK, now, open_app, utcnow

if TYPE_CHECKING:
    from datetime import datetime

    from ghostwatch.app.bootstrap import App
    from ghostwatch.app.courier import Delivery
    from ghostwatch.app.reports import CycleReport

__all__ = ["cmd_demo", "cmd_once", "cmd_run", "cmd_summary", "print_cycle"]


def cmd_once(args: argparse.Namespace) -> int:
    app = open_app(args)
    try:
        report = asyncio.run(_once(app, now(args), dry_run=args.dry_run))
    finally:
        app.close()
    print_cycle(report, sys.stdout)
    return EXIT_OK if report.ok and not _failures(report) else EXIT_FAILED


async def _once(app: App, at: datetime, *, dry_run: bool) -> CycleReport:
    """One cycle, then the heartbeat it started (bounded) and the metrics textfile."""
    app.monitor.start(app.store, serve=False)
    try:
        return await app.cycle(at, dry_run=dry_run)
    finally:
        await app.monitor.aclose()


def _failures(report: CycleReport) -> list[Delivery]:
    from ghostwatch.core.domain import OutboxStatus

    return [d for a in report.accounts for d in a.deliveries if d.status is OutboxStatus.FAILED]


def print_cycle(report: CycleReport, out: TextIO) -> None:
    """What one cycle did, account by account, in plain words."""
    from ghostwatch.core.domain import Action

    for problem in report.errors:
        print(f"FAILED: {problem}", file=out)
    for acc in report.accounts:
        if acc.error:
            print(f"{acc.account}: FAILED: {acc.error}", file=out)
            if acc.sync is None:
                continue  # nothing was read: nothing else to say
        if acc.held_by:
            print(f"{acc.account}: skipped (worked on by {acc.held_by})", file=out)
            continue
        stored = acc.sync.stored if acc.sync else 0
        print(f"{acc.account}: synced ({stored} new message(s))", file=out)
        for d in acc.decisions:
            if d.action is Action.SEND and acc.dry_run:
                print(f"  would send {d.template} to {d.to_addr}: {d.reason}", file=out)
            elif d.action is Action.HOLD:
                print(f"  held: {d.reason}", file=out)
        for name in acc.ghosted:
            print(f"  ghosted: {name}", file=out)
        for dl in acc.deliveries:
            status = dl.status.value if dl.status else "skipped (already planned)"
            extra = f" ({dl.error})" if dl.error else ""
            print(
                f"  {status}: {dl.decision.template} to {dl.decision.to_addr}: "
                f"{dl.decision.reason}{extra}",
                file=out,
            )


def cmd_run(args: argparse.Namespace) -> int:
    from ghostwatch.app.service import Service, offset_clock
    from ghostwatch.config.loader import find_config_path

    path = find_config_path(args.config, os.environ)
    service = Service(path, clock=offset_clock(args.now) if args.now else utcnow)
    return asyncio.run(service.run())


def cmd_summary(args: argparse.Namespace) -> int:
    """Write the summary as HTML (``--out``; records nothing) or send it now (``--send``;
    on demand, it does not count as the daily one). Exit 1 if sending failed."""
    from ghostwatch.app import summary

    app = open_app(args)
    try:
        at = now(args)
        if args.out:
            print(f"wrote {summary.write_summary(app, at, args.out)}")
            return EXIT_OK
        to = app.config.summary_to()
        message_id = asyncio.run(summary.send_summary(app, at))
    finally:
        app.close()
    print(f"summary sent to {to} ({message_id})")
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from ghostwatch.demo.run import run_demo

    if args.log_level == "warning":  # the demo narrates ghostings and bounces itself
        logs.configure(level="error")
    return run_demo(Path(args.out) if args.out else None, sys.stdout)
