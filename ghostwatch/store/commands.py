"""The reads and writes of summary commands (docs/commands.md): keys and replies.

Only ``store`` imports this module's ``CommandStore``; use the methods of
``ghostwatch.store.database.Store``, each one short transaction. ``token_hash``,
``TokenRow`` and ``QueuedReply`` are the part of it callers name.

Invariants:
- Rule 1: a key is stored only as its SHA-256 (``token_hash``); the key itself is in
  the summary and nowhere else (not in the database, not in a log).
- Rule 2: the *current* key of an account is the one of its latest summary; issuing
  a summary's key supersedes every earlier one (they stay, to be recognised and
  refused as old).
- Rule 3: a key is used at most once: ``use_token`` is a compare-and-set on
  ``used_at IS NULL``.
- Rule 4: a reply is queued once per (folder, UIDVALIDITY, UID): a sync that reads it
  again queues nothing. It stays queued (``pending``) until handled, so a crash
  between sync and handling loses no command.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ghostwatch.store.engine import StoreBase
from ghostwatch.store.tables import COMMAND_MAIL, EVENT, SEND_NOW, SUMMARY_LOG, SUMMARY_TOKEN


def token_hash(token: str) -> str:
    """The stored form of a key (Rule 1): hex SHA-256 of its lower-cased text. A key
    carries ~60 random bits, so a fast hash is enough (no dictionary to guess from)."""
    return hashlib.sha256(token.strip().lower().encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class TokenRow:
    message_id: str
    account: str
    token_hash: str
    issued_at: datetime
    language: str
    labels: dict[str, dict[str, str]]
    used_at: datetime | None
    used_by: str | None


@dataclass(frozen=True, slots=True)
class QueuedReply:
    account: str
    folder: str
    uidvalidity: int
    uid: int
    message_id: str | None
    from_addr: str
    summary_id: str
    seen_at: datetime


Slot = tuple[str, str, int]  # (ladder, anchor, step)


def _token(row: Any) -> TokenRow:
    return TokenRow(
        message_id=row.message_id,
        account=row.account,
        token_hash=row.token_hash,
        issued_at=row.issued_at,
        language=row.language,
        labels=json.loads(row.labels),
        used_at=row.used_at,
        used_by=row.used_by,
    )


class CommandStore(StoreBase):
    """Summary-command methods of ``Store``: keys, queued replies, "send now" lifts."""

    def issue_token(
        self,
        *,
        account: str,
        message_id: str,
        token: str,
        labels: dict[str, dict[str, str]],
        language: str,
        at: datetime,
    ) -> None:
        """Store the key of the summary ``message_id`` (hashed, Rule 1); a summary built
        again under the same Message-ID (a retry) replaces its key."""
        values = {
            "message_id": message_id,
            "account": account,
            "token_hash": token_hash(token),
            "issued_at": at,
            "language": language,
            "labels": json.dumps(labels, ensure_ascii=False, sort_keys=True),
            "used_at": None,
            "used_by": None,
        }
        with self._tx(write=True) as connection:
            connection.execute(
                sa.delete(SUMMARY_TOKEN).where(SUMMARY_TOKEN.c.message_id == message_id)
            )
            connection.execute(sa.insert(SUMMARY_TOKEN).values(**values))

    def tokens(self, account: str) -> list[TokenRow]:
        """Every key issued for ``account``, latest first (the first is current, Rule 2)."""
        c = SUMMARY_TOKEN.c
        query = sa.select(SUMMARY_TOKEN).where(c.account == account)
        with self._tx() as connection:
            rows = [_token(r) for r in connection.execute(query)]
        return sorted(rows, key=lambda t: (t.issued_at, t.message_id), reverse=True)

    def summary_ids(self, account: str) -> frozenset[str]:
        """Message-IDs of every summary ``account`` sent (daily or with a key): a reply
        naming one of them is a reply to a summary."""
        with self._tx() as connection:
            keyed = connection.execute(
                sa.select(SUMMARY_TOKEN.c.message_id).where(SUMMARY_TOKEN.c.account == account)
            ).scalars()
            daily = connection.execute(
                sa.select(SUMMARY_LOG.c.message_id).where(SUMMARY_LOG.c.account == account)
            ).scalars()
            return frozenset(i for i in (*keyed, *daily) if i)

    def use_token(self, message_id: str, reply_id: str, at: datetime) -> bool:
        """Mark the key of summary ``message_id`` used by ``reply_id``; False if it was
        used already (Rule 3)."""
        c = SUMMARY_TOKEN.c
        statement = (
            sa.update(SUMMARY_TOKEN)
            .where(c.message_id == message_id, c.used_at.is_(None))
            .values(used_at=at, used_by=reply_id)
        )
        with self._tx(write=True) as connection:
            return connection.execute(statement).rowcount == 1

    def queue_reply(self, reply: QueuedReply) -> bool:
        """Queue one reply to a summary (Rule 4); False if it was queued before."""
        values = {
            "account": reply.account,
            "folder": reply.folder,
            "uidvalidity": reply.uidvalidity,
            "uid": reply.uid,
            "message_id": reply.message_id,
            "from_addr": reply.from_addr,
            "summary_id": reply.summary_id,
            "seen_at": reply.seen_at,
            "status": "pending",
            "handled_at": None,
        }
        with self._tx(write=True) as connection:
            return self._insert_new(connection, COMMAND_MAIL, values)

    def pending_replies(self, account: str) -> list[QueuedReply]:
        """The replies of ``account`` not handled yet, in the order they were seen."""
        c = COMMAND_MAIL.c
        query = (
            sa.select(COMMAND_MAIL)
            .where(c.account == account, c.status == "pending")
            .order_by(c.seen_at, c.folder, c.uid)
        )
        with self._tx() as connection:
            return [
                QueuedReply(
                    r.account,
                    r.folder,
                    r.uidvalidity,
                    r.uid,
                    r.message_id,
                    r.from_addr,
                    r.summary_id,
                    r.seen_at,
                )
                for r in connection.execute(query)
            ]

    def seen_before(self, reply: QueuedReply) -> bool:
        """True when another reply with the same Message-ID was handled before (a replay)."""
        if not reply.message_id:
            return False
        c = COMMAND_MAIL.c
        query = sa.select(c.uid).where(
            c.account == reply.account,
            c.message_id == reply.message_id,
            c.status != "pending",
            sa.not_(
                sa.and_(
                    c.folder == reply.folder, c.uidvalidity == reply.uidvalidity, c.uid == reply.uid
                )
            ),
        )
        with self._tx() as connection:
            return connection.execute(query).first() is not None

    def finish_reply(self, reply: QueuedReply, status: str, at: datetime) -> None:
        """Mark a queued reply handled: ``done`` or ``refused``."""
        c = COMMAND_MAIL.c
        statement = (
            sa.update(COMMAND_MAIL)
            .where(
                c.account == reply.account,
                c.folder == reply.folder,
                c.uidvalidity == reply.uidvalidity,
                c.uid == reply.uid,
            )
            .values(status=status, handled_at=at)
        )
        with self._tx(write=True) as connection:
            connection.execute(statement)

    def refusals(self, account: str, since: datetime) -> list[tuple[datetime, str, str]]:
        """(at, sender, reason) of each ``command.refused`` event of ``account`` at or
        after ``since``, oldest first."""
        e = EVENT.c
        query = (
            sa.select(e.at, e.data)
            .where(e.account == account, e.kind == "command.refused", e.at >= since)
            .order_by(e.at, e.id)
        )
        with self._tx() as connection:
            rows = connection.execute(query).all()
        found = []
        for at, data in rows:
            values = json.loads(data)
            found.append((at, str(values.get("sender", "")), str(values.get("reason", ""))))
        return found

    def lift(self, account: str, client: str, slot: Slot, at: datetime) -> None:
        """Let ``slot`` of ``client`` go out outside the send window once due ("send now")."""
        ladder, anchor, step = slot
        values = {"account": account, "client": client, "ladder": ladder, "anchor": anchor}
        with self._tx(write=True) as connection:
            connection.execute(self._insert_ignore(SEND_NOW).values(**values, step=step, at=at))

    def unlift(self, account: str, client: str, slot: Slot) -> None:
        c = SEND_NOW.c
        ladder, anchor, step = slot
        where = (c.account == account, c.client == client, c.ladder == ladder)
        with self._tx(write=True) as connection:
            connection.execute(
                sa.delete(SEND_NOW).where(*where, c.anchor == anchor, c.step == step)
            )

    def lifted(self, account: str) -> dict[str, frozenset[Slot]]:
        """client -> the slots lifted by "send now"."""
        c = SEND_NOW.c
        query = sa.select(c.client, c.ladder, c.anchor, c.step).where(c.account == account)
        found: dict[str, set[Slot]] = {}
        with self._tx() as connection:
            for client, ladder, anchor, step in connection.execute(query):
                found.setdefault(client, set()).add((ladder, anchor, step))
        return {client: frozenset(slots) for client, slots in found.items()}
