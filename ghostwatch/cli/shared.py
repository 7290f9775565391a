"""What every command handler needs: exit statuses, the config, the app, ``--now``
and a client by name.

Exit status (docs/cli.md): 0 success; 1 ran but something failed; 2 bad usage or
configuration (raised as ConfigError, turned into 2 by ``cli.entry.main``).
The command line is the one place besides ``app.bootstrap`` that reads the clock
(``now``: ``--now`` when given).
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TypeVar

from ghostwatch.errors import ConfigError

if TYPE_CHECKING:
    from ghostwatch.app.bootstrap import App
    from ghostwatch.config.loader import ClientConfig, Config

__all__ = [
    "EXIT_FAILED",
    "EXIT_OK",
    "EXIT_USAGE",
    "Handler",
    "client",
    "load",
    "now",
    "on_client",
    "open_app",
    "utcnow",
]

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

Handler = Callable[[argparse.Namespace], int]
T = TypeVar("T")


def load(args: argparse.Namespace) -> Config:
    """The configuration ``--config`` (or the lookup, docs/cli.md) names, validated."""
    from ghostwatch.config.loader import find_config_path, load_config

    return load_config(find_config_path(args.config, os.environ))


def open_app(args: argparse.Namespace) -> App:
    """The app for ``args``' configuration; the caller closes it."""
    from ghostwatch.app.bootstrap import App

    return App.open(load(args))


def utcnow() -> datetime:
    return datetime.now(UTC)


def now(args: argparse.Namespace) -> datetime:
    """``--now`` if the command has it and it was given, else the clock."""
    at: datetime | None = getattr(args, "now", None)
    return at or utcnow()


def client(app: App, name: str) -> ClientConfig:
    """Find a configured client by name (case-insensitive) or raise ConfigError."""
    for c in app.config.clients:
        if c.name.casefold() == name.casefold():
            return c
    known = ", ".join(c.name for c in app.config.clients) or "none"
    raise ConfigError([f"no client named {name!r} (configured: {known})"])


def on_client(
    args: argparse.Namespace, act: Callable[[App, ClientConfig, datetime], T]
) -> tuple[ClientConfig, T]:
    """Open the app, find ``args.client`` and do ``act(app, client, now)`` with it (the
    client commands go through ``app.actions``, as the same commands by mail do)."""
    app = open_app(args)
    try:
        found = client(app, args.client)
        return found, act(app, found, now(args))
    finally:
        app.close()
