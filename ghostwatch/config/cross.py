"""Checks of the configuration that span tables (``ghostwatch.config.loader`` Rule 1).

Run on the raw TOML mapping (or a dumped ``Config``), tolerant of malformed input (what
cannot be read is skipped: field validation reports it), so every problem is found at
once: duplicate names (client names ignoring case), unknown accounts, an address claimed
by two clients or by two accounts, a client that is the user. Pure.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from ghostwatch.config.types import format_loc
from ghostwatch.core.domain import normalise_address

__all__ = ["Loc", "cross_problems"]

Loc = tuple[str | int, ...]


def _tables(data: Mapping[str, Any], key: str) -> list[tuple[int, Mapping[str, Any]]]:
    items = data.get(key)
    if not isinstance(items, list | tuple):
        return []
    return [(i, item) for i, item in enumerate(items) if isinstance(item, Mapping)]


def _duplicates(
    items: Sequence[tuple[int, Mapping[str, Any]]],
    key: str,
    loc: Loc,
    what: str,
    fold: Callable[[str], str] = str,
) -> Iterator[tuple[Loc, str]]:
    """Values of ``key`` equal after ``fold`` (client names: ``str.casefold``, since
    commands look them up ignoring case and would reach the wrong one)."""
    seen: dict[str, tuple[int, str]] = {}
    for i, item in items:
        value = item.get(key)
        value = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
        if isinstance(value, str):
            folded = fold(value.strip())
            if folded in seen:
                index, written = seen[folded]
                first = format_loc((*loc, index))
                also = f"also {first}" if written == value else f"{first} is {written!r}"
                why = "" if written == value else "; names are told apart ignoring case"
                yield ((*loc, i, key), f"duplicate {what} {value!r} ({also}{why})")
            seen.setdefault(folded, (i, value))


def cross_problems(data: Mapping[str, Any]) -> list[tuple[Loc, str]]:
    """Given the raw (or dumped) configuration mapping, return problems that span tables:
    duplicate names, references to unknown accounts, an address claimed by two clients.

    Tolerates malformed input (skips what it cannot read), so it can run alongside
    field validation and report everything at once.
    """
    accounts = _tables(data, "accounts")
    clients = _tables(data, "clients")
    names = [a.get("name") for _, a in accounts]
    found = list(_duplicates(accounts, "name", ("accounts",), "account name"))
    found += _duplicates(clients, "name", ("clients",), "client name", str.casefold)
    found += _same_address(accounts)
    found += _own_addresses(accounts, clients)
    for i, client in clients:
        for key, what, field in (
            ("invoices", "invoice number", "number"),
            ("recurring", "recurring name", "name"),
            ("deadlines", "deadline", "what"),
        ):
            found += _duplicates(_tables(client, key), field, ("clients", i, key), what)
        found += _unknown_account(client.get("account"), names, ("clients", i, "account"))
    summary = data.get("summary", {})
    if isinstance(summary, Mapping):
        found += _unknown_account(summary.get("account"), names, ("summary", "account"))
        found += _summary_sender(summary, accounts)
    found += _claimed_twice(clients)
    return found


def _unknown_account(name: object, known: list[object], loc: Loc) -> list[tuple[Loc, str]]:
    if not isinstance(name, str) or name in known:
        return []
    listed = ", ".join(repr(n) for n in known if isinstance(n, str)) or "none"
    return [(loc, f"no account named {name!r} (accounts: {listed})")]


def _summary_sender(
    summary: Mapping[str, Any], accounts: list[tuple[int, Mapping[str, Any]]]
) -> list[tuple[Loc, str]]:
    name = summary.get("account")
    sender = next((a for _, a in accounts if a.get("name") == name), None) if name else None
    sender = sender or (accounts[0][1] if accounts else None)
    if summary.get("enabled", True) is not True or sender is None:
        return []
    if isinstance(sender.get("smtp"), Mapping):
        return []
    return [
        (
            ("summary",),
            f"the summary is sent from account {sender.get('name')!r}, which has no"
            " [accounts.smtp]: add one or set enabled = false",
        )
    ]


def _claimed_twice(clients: list[tuple[int, Mapping[str, Any]]]) -> list[tuple[Loc, str]]:
    found: list[tuple[Loc, str]] = []
    for key, norm in (("emails", normalise_address), ("domains", str.lower)):
        owner: dict[str, int] = {}
        for i, client in clients:
            values = client.get(key)
            for k, value in enumerate(values if isinstance(values, list | tuple) else []):
                if not isinstance(value, str):
                    continue
                other = owner.setdefault(norm(value), i)
                if other != i:
                    found.append(
                        (
                            ("clients", i, key, k),
                            f"{value!r} is already listed for clients[{other}]",
                        )
                    )
    return found


def _same_address(accounts: list[tuple[int, Mapping[str, Any]]]) -> list[tuple[Loc, str]]:
    """Two accounts with one address would watch one mailbox twice and send twice."""
    found: list[tuple[Loc, str]] = []
    owner: dict[str, int] = {}
    for i, account in accounts:
        address = account.get("address")
        if isinstance(address, str) and address.strip():
            other = owner.setdefault(normalise_address(address), i)
            if other != i:
                found.append(
                    (("accounts", i, "address"), f"{address!r} is already accounts[{other}]'s")
                )
    return found


def _own_addresses(
    accounts: list[tuple[int, Mapping[str, Any]]], clients: list[tuple[int, Mapping[str, Any]]]
) -> list[tuple[Loc, str]]:
    """A client must not be the user: an account's address or alias among its ``emails``,
    or an account address's domain among its ``domains``, would nudge the user (and,
    by domain, every colleague)."""
    mine: dict[str, str] = {}
    domains: dict[str, str] = {}
    for _i, account in accounts:
        name = repr(account.get("name"))
        aliases = account.get("aliases")
        own = [account.get("address"), *(aliases if isinstance(aliases, list | tuple) else [])]
        for k, address in enumerate(own):
            if isinstance(address, str) and "@" in address:
                what = "address" if k == 0 else "alias"
                mine.setdefault(normalise_address(address), f"{what} (account {name})")
        address = account.get("address")
        if isinstance(address, str) and "@" in address:
            domains.setdefault(
                address.rpartition("@")[2].strip().lower(), f"domain (account {name})"
            )
    found: list[tuple[Loc, str]] = []
    for i, client in clients:
        for key, known in (("emails", mine), ("domains", domains)):
            values = client.get(key)
            for k, value in enumerate(values if isinstance(values, list | tuple) else []):
                if not isinstance(value, str):
                    continue
                norm = normalise_address(value) if key == "emails" else value.strip().lower()
                if norm in known:
                    found.append(
                        (
                            ("clients", i, key, k),
                            f"{value!r} is your own {known[norm]}: "
                            "ghostwatch would nudge you; a client lists only its own people",
                        )
                    )
    return found
