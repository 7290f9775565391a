"""What the stored messages and client state say about each client: ``Store.client_facts``.

Only ``store`` imports this module; use ``ghostwatch.store.database.Store``.

Invariants:
- Only human mail is contact: auto-replies, bounces and bulk mail are no last
  contact, and our own nudges are not "our last message".
- One read transaction: the facts of every client are one consistent snapshot.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ghostwatch.core.domain import Direction, Kind, ThreadRef
from ghostwatch.core.records import ClientFacts
from ghostwatch.store.engine import StoreBase
from ghostwatch.store.tables import BOUNCING, CLIENT_STATE, MESSAGE


class FactsStore(StoreBase):
    """``client_facts`` of ``Store``."""

    def client_facts(self, account: str) -> dict[str, ClientFacts]:
        """Return facts for every client that has messages, state or bouncing
        addresses under ``account`` (see ClientFacts). Clients with none of these
        are absent: use ``ClientFacts(client=name)``."""
        with self._tx() as connection:
            contact = _last_contact(connection, account)
            threads = _threads(connection, account)
            away = _away(connection, account)
            replies = _auto_replies(connection, account)
            unreadable = _unreadable(connection, account)
            greet = _names(connection, account)
            state = _client_state(connection, account)
            bouncing = _bouncing(connection, account)
        names = set(contact) | set(threads) | set(away) | set(state) | set(bouncing)
        names |= set(replies) | set(unreadable)
        facts: dict[str, ClientFacts] = {}
        for name in sorted(names):
            last_in, last_out = contact.get(name, (None, None))
            snoozed, anchor, ghosted_at, state_away = state.get(name, (None, None, None, None))
            away_dates = [d for d in (away.get(name), state_away) if d is not None]
            human = [t for t in (last_in, last_out) if t is not None]
            unread = unreadable.get(name)
            if unread is not None and human and max(human) >= unread:
                unread = None
            facts[name] = ClientFacts(
                client=name,
                last_inbound=last_in,
                last_outbound=last_out,
                thread=threads.get(name),
                away_until=max(away_dates, default=None),
                snoozed_until=snoozed,
                ghosted_anchor=anchor,
                ghosted_at=ghosted_at,
                bouncing=frozenset(bouncing.get(name, ())),
                auto_replies=tuple(replies.get(name, ())),
                unreadable_at=unread,
                names=tuple(sorted(greet.get(name, {}).items())),
            )
        return facts


def _human(direction: Direction) -> sa.ColumnElement[bool]:
    c = MESSAGE.c
    if direction is Direction.INBOUND:
        return sa.and_(c.direction == Direction.INBOUND, c.kind == Kind.HUMAN)
    return sa.and_(
        c.direction == Direction.OUTBOUND, c.kind == Kind.HUMAN, c.is_nudge == sa.false()
    )


def _last_contact(
    connection: Connection, account: str
) -> dict[str, tuple[datetime | None, datetime | None]]:
    """client -> (last human inbound, last human outbound non-nudge), one index scan."""
    c = MESSAGE.c
    query = (
        sa.select(
            c.client,
            sa.func.max(sa.case((_human(Direction.INBOUND), c.date))),
            sa.func.max(sa.case((_human(Direction.OUTBOUND), c.date))),
        )
        .where(c.account == account, c.client.is_not(None))
        .group_by(c.client)
    )
    return {client: (last_in, last_out) for client, last_in, last_out in connection.execute(query)}


def _threads(connection: Connection, account: str) -> dict[str, ThreadRef]:
    """client -> our latest human, non-nudge message to them that has a Message-ID."""
    c = MESSAGE.c
    rank = sa.func.row_number().over(partition_by=c.client, order_by=(c.date.desc(), c.id.desc()))
    ranked = (
        sa.select(c.client, c.message_id, c.references, c.subject, c.counterpart, c.to_addrs)
        .add_columns(c.date, rank.label("rank"))
        .where(c.account == account, c.client.is_not(None), c.message_id.is_not(None))
        .where(_human(Direction.OUTBOUND))
        .subquery()
    )
    threads: dict[str, ThreadRef] = {}
    for r in connection.execute(sa.select(ranked).where(ranked.c.rank == 1)):
        to_addr = r.counterpart or next(iter(json.loads(r.to_addrs)), "")
        threads[r.client] = ThreadRef(
            message_id=r.message_id,
            references=tuple(r.references.split()),
            subject=r.subject,
            to_addr=to_addr,
            sent_at=r.date,
        )
    return threads


def _away(connection: Connection, account: str) -> dict[str, date]:
    """client -> the latest out-of-office return date any auto-reply of theirs gave.

    Every auto-reply counts, also one older than our last message: "away until
    2 Feb" still holds when we wrote again on 21 Jan. A date in the past is harmless
    (the policy only defers while it lies ahead).
    """
    c = MESSAGE.c
    query = sa.select(c.client, c.date, c.away_until).where(
        c.account == account,
        c.client.is_not(None),
        c.direction == Direction.INBOUND,
        c.kind == Kind.AUTO_REPLY,
        c.away_until.is_not(None),
    )
    away: dict[str, date] = {}
    for client, _received, until in connection.execute(query):
        if until > away.get(client, date.min):
            away[client] = until
    return away


def _auto_replies(
    connection: Connection, account: str
) -> dict[str, list[tuple[datetime, date | None]]]:
    """client -> every automatic reply of theirs (received, return date), oldest first."""
    c = MESSAGE.c
    query = (
        sa.select(c.client, c.date, c.away_until)
        .where(
            c.account == account,
            c.client.is_not(None),
            c.direction == Direction.INBOUND,
            c.kind == Kind.AUTO_REPLY,
        )
        .order_by(c.date, c.id)
    )
    found: dict[str, list[tuple[datetime, date | None]]] = defaultdict(list)
    for client, received, until in connection.execute(query):
        found[client].append((received, until))
    return found


def _names(connection: Connection, account: str) -> dict[str, dict[str, str]]:
    """client -> {address: the display name on the latest human mail from it}."""
    c = MESSAGE.c
    query = (
        sa.select(c.client, c.from_addr, c.from_name)
        .where(c.account == account, c.client.is_not(None), c.from_name != "")
        .where(_human(Direction.INBOUND))
        .order_by(c.date, c.id)
    )
    found: dict[str, dict[str, str]] = defaultdict(dict)
    for client, address, name in connection.execute(query):
        found[client][address] = name
    return found


def _unreadable(connection: Connection, account: str) -> dict[str, datetime]:
    """client -> the latest message from them that could not be read."""
    c = MESSAGE.c
    query = (
        sa.select(c.client, sa.func.max(c.date))
        .where(
            c.account == account,
            c.client.is_not(None),
            c.direction == Direction.INBOUND,
            c.kind == Kind.UNREADABLE,
        )
        .group_by(c.client)
    )
    return {client: at for client, at in connection.execute(query)}


def _client_state(
    connection: Connection, account: str
) -> dict[str, tuple[datetime | None, str | None, datetime | None, date | None]]:
    c = CLIENT_STATE.c
    query = sa.select(c.client, c.snoozed_until, c.ghosted_anchor, c.ghosted_at, c.away_until)
    rows = connection.execute(query.where(c.account == account))
    return {r.client: (r.snoozed_until, r.ghosted_anchor, r.ghosted_at, r.away_until) for r in rows}


def _bouncing(connection: Connection, account: str) -> dict[str, set[str]]:
    c = BOUNCING.c
    query = sa.select(c.client, c.address).where(c.account == account, c.client.is_not(None))
    bouncing: dict[str, set[str]] = defaultdict(set)
    for client, address in connection.execute(query):
        bouncing[client].add(address)
    return bouncing
