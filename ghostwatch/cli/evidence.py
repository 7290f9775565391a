"""``ghostwatch history`` and ``export``: the evidence log (``app.evidence``), of one
client or of all, as text, JSON or CSV."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ghostwatch.cli.shared import EXIT_OK, client, open_app
from ghostwatch.errors import ConfigError, cannot_write

if TYPE_CHECKING:
    from ghostwatch.app.bootstrap import App

__all__ = ["cmd_export", "cmd_history"]


def _history_client(app: App, name: str) -> tuple[str, str]:
    """(account, client) for ``history``: a configured client, else one the database
    still holds records of (removed from the config since); ConfigError if neither."""

    try:
        found = client(app, name)
        return app.config.account_for(found).name, found.name
    except ConfigError:
        known = [k for k in app.store.client_names() if k[1].casefold() == name.casefold()]
        if len(known) == 1:
            return known[0]
        raise


def cmd_history(args: argparse.Namespace) -> int:
    from ghostwatch.app import evidence

    app = open_app(args)
    try:
        account, name = _history_client(app, args.client)
        entries = evidence.history(app.store, account, name)
    finally:
        app.close()
    print(evidence.to_json(entries) if args.json else evidence.format_history(name, entries))
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from ghostwatch.app import evidence

    app = open_app(args)
    try:
        entries = evidence.export_log(app.store)
    finally:
        app.close()
    data = evidence.to_csv(entries) if args.format == "csv" else evidence.to_json(entries).encode()
    if args.out:
        with cannot_write(args.out):
            Path(args.out).write_bytes(data)
        print(f"{len(entries)} entries written to {args.out}", file=sys.stderr)
    else:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    return EXIT_OK
