"""SIGHUP's new configuration, checked (``service`` Invariant 3), and which accounts
it changed. No I/O beyond reading the config and its templates; the service applies it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ghostwatch.app.check import check_config
from ghostwatch.config.loader import AccountConfig, Config
from ghostwatch.errors import ConfigError

__all__ = ["changed", "load_checked"]


def load_checked(path: Path, running: Config) -> Config:
    """Load the config at ``path`` as ``check-config`` does (templates included) and
    refuse what cannot change while ``running`` runs; raise ConfigError listing every
    problem (the old config then keeps running)."""
    config = check_config(path)  # values and templates, every problem
    problems: list[str] = []
    if config.database.resolved_url() != running.database.resolved_url():
        problems.append(f"{path.name}: database.url: changing the database needs a restart")
    if problems:
        raise ConfigError(problems)
    return config


def changed(old: Config, new: Config, account: AccountConfig) -> bool:
    """True if ``account`` (as in ``new``) has other settings or clients in ``old``:
    it syncs at once, reading a new client's history back."""
    before = {a.name: a for a in old.accounts}
    return before.get(account.name) != account or _clients(old, account) != _clients(new, account)


def _clients(config: Config, account: AccountConfig) -> list[Any]:
    return list(config.clients_of(account.name))
