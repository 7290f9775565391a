"""``ghostwatch status``: the table, ``--json`` and ``--check``.

``--json`` is the contract (docs/cli.md, "status"): an array of the client rows
(``core.views.StatusRow.to_json``), each with its account's health row appended as
``account_health``. The table is for people (``cli.status_table``). With
``--check`` the exit status is 1 when any account is stale, failing or paused.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from ghostwatch.cli.shared import EXIT_FAILED, EXIT_OK, now, open_app
from ghostwatch.core.views import HealthRow, StatusRow

__all__ = ["account_problems", "cmd_status", "status_exit", "status_json"]


def cmd_status(args: argparse.Namespace) -> int:
    from ghostwatch.app import views

    app = open_app(args)
    try:
        at = now(args)
        rows, health = views.status_rows(app, at), views.health_rows(app, at)
    finally:
        app.close()
    if args.json:
        print(json.dumps(status_json(rows, health), ensure_ascii=False, indent=2))
    else:
        # Imported here: it brings Babel, which no other command needs.
        from ghostwatch.cli.status_table import UTC_ZONE, format_health, format_table

        zones = {a.name: ZoneInfo(a.timezone) for a in app.config.accounts}
        print(format_table(rows, zones))
        print()
        for h in health:
            print(format_health(h, zones.get(h.account, UTC_ZONE)))
    return status_exit(args, health)


def status_json(rows: Sequence[StatusRow], health: Sequence[HealthRow]) -> list[dict[str, Any]]:
    """The ``status --json`` array: each client row, then its account's health (None
    for an account without a health row)."""
    by_account = {h.account: h.to_json() for h in health}
    return [{**row.to_json(), "account_health": by_account.get(row.account)} for row in rows]


def status_exit(args: argparse.Namespace, health: Sequence[HealthRow]) -> int:
    """``status``'s exit status: with ``--check``, 1 if any account is stale, failing
    (its last error is newer than its last successful sync) or paused, else 0."""
    if not getattr(args, "check", False):
        return EXIT_OK
    problems = [h.account for h in health if account_problems(h)]
    for h in health:
        if account_problems(h):
            print(f"check: account {h.account}: {', '.join(account_problems(h))}", file=sys.stderr)
    return EXIT_FAILED if problems else EXIT_OK


def account_problems(h: HealthRow) -> list[str]:
    """What ``status --check`` fails an account for (a row of ``app.views.health_rows``)."""
    found = []
    if h.stale:
        found.append("stale")
    if h.last_error and (h.last_sync is None or (h.last_error_at or "") >= h.last_sync):
        found.append("failing")
    if h.paused:
        found.append("paused")
    return found
