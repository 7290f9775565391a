"""The commands that act on one client or account: ``snooze``, ``resume``, ``pause``,
``unpause``, ``paid``, ``expect``, ``hold``, ``skip``, ``send-now``.

Each goes through ``app.actions`` (as the same command by mail does), records it as
done by "command", and prints one line saying what changed (docs/cli.md).
"""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import TYPE_CHECKING

from ghostwatch.cli.shared import EXIT_OK, client, now, on_client, open_app

if TYPE_CHECKING:
    from ghostwatch.app.bootstrap import App
    from ghostwatch.config.loader import ClientConfig

__all__ = [
    "cmd_expect",
    "cmd_hold",
    "cmd_paid",
    "cmd_pause",
    "cmd_resume",
    "cmd_send_now",
    "cmd_skip",
    "cmd_snooze",
    "cmd_unpause",
]


def cmd_snooze(args: argparse.Namespace) -> int:
    from ghostwatch.app import actions

    def act(app: App, c: ClientConfig, now: datetime) -> str:
        actions.snooze(app, c, args.until, now, "command")
        return actions.local_words(app, c).day(args.until, actions.today(app, c, now))

    found, until = on_client(args, act)
    print(f"{found.name}: snoozed until {until}")
    return EXIT_OK


def cmd_resume(args: argparse.Namespace) -> int:
    from ghostwatch.app import actions

    found, done = on_client(args, lambda app, c, now: actions.resume(app, c, now, "command"))
    print(f"{found.name}: " + ("resumed" if done else "was not held or snoozed; nothing to resume"))
    return EXIT_OK


def _set_paused(args: argparse.Namespace, paused: bool) -> int:
    from ghostwatch.app import actions

    app = open_app(args)
    try:
        for name in actions.set_paused(app, args.account, paused, now(args), "command"):
            print(f"{name}: {'paused' if paused else 'sending again'}")
    finally:
        app.close()
    return EXIT_OK


def cmd_pause(args: argparse.Namespace) -> int:
    return _set_paused(args, True)


def cmd_unpause(args: argparse.Namespace) -> int:
    return _set_paused(args, False)


def cmd_paid(args: argparse.Namespace) -> int:
    from ghostwatch.app import actions

    found, _ = on_client(
        args, lambda app, c, now: actions.paid(app, c, args.invoice, now, "command")
    )
    print(f"{found.name}: invoice {args.invoice} marked paid")
    return EXIT_OK


def cmd_expect(args: argparse.Namespace) -> int:
    from ghostwatch.app import actions
    from ghostwatch.app.promise_commands import expect_any

    app, at = open_app(args), now(args)
    try:
        said = "no promise"
        if args.by is not None:  # a promise by a past day is a typo: refused (exit 2)
            found = client(app, args.client)
            today = actions.today(app, found, at)
            actions.refuse_past(args.by, today)
            said = f"expected by {actions.local_words(app, found).day(args.by, today)}"
        app.sync_invoices(at)
        done = expect_any(app, args.client, args.invoice, args.by, at=at)
    finally:
        app.close()
    unchanged = "" if done.changed else " (unchanged)"
    print(f"{done.client}: {done.kind} {done.name} {said}{unchanged}")
    return EXIT_OK


def cmd_hold(args: argparse.Namespace) -> int:
    from ghostwatch.app import actions

    found, _ = on_client(args, lambda app, c, now: actions.hold(app, c, now, "command"))
    print(f"{found.name}: held until you resume it")
    return EXIT_OK


def cmd_skip(args: argparse.Namespace) -> int:
    from ghostwatch.app import actions

    def act(app: App, c: ClientConfig, now: datetime) -> tuple[str, str]:
        skipped = actions.skip(app, c, now, "command")
        return skipped.template, actions.local_words(app, c).at(
            skipped.at, actions.today(app, c, now)
        )

    found, (template, when) = on_client(args, act)
    print(f"{found.name}: skipped {template} (due {when})")
    return EXIT_OK


def cmd_send_now(args: argparse.Namespace) -> int:
    from ghostwatch.app import actions

    found, decision = on_client(args, lambda app, c, now: actions.send_now(app, c, now, "command"))
    print(f"{found.name}: {decision.template} goes out at the next cycle (window lifted)")
    return EXIT_OK
