"""What a synced batch implies beyond its messages: bouncing addresses, paid invoices.

Part of ``sync`` (Invariants 6 and 7 there): a bounce from MAILER-DAEMON marks the
client address that bounced; a bank's notice pays the invoices it names.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

import structlog

from ghostwatch.app.promise_effects import record_promises
from ghostwatch.core import commands, payments
from ghostwatch.core.domain import Direction, Envelope, Kind
from ghostwatch.store.commands import QueuedReply
from ghostwatch.store.database import MessageRow, Store

if TYPE_CHECKING:
    from ghostwatch.app.sync_context import SyncContext

log = structlog.get_logger("ghostwatch.app.sync")

Payment = tuple[Envelope, str] | None  # (Envelope, body text) of a possible payment notice


def record_side_effects(
    store: Store, ctx: SyncContext, rows: Sequence[tuple[MessageRow, Payment, str | None]]
) -> None:
    """Record what a stored batch implies beyond the messages themselves: bouncing
    client addresses (``mark_bouncing``), invoices paid (``mark_paid`` and an
    ``invoice.paid`` event), promises to pay (``promise_effects``) and replies to a
    summary, queued for ``mail_commands``. Idempotent: a batch read again changes
    nothing."""
    bounces: list[tuple[str, str | None, datetime, str | None, str]] = []
    clients: dict[str, str] = {}
    for row, payment, reply in rows:
        if row.folder == ctx.command_folder and commands.threads_to(
            row.in_reply_to, row.references, ctx.summary_ids
        ):
            queue_reply(store, ctx, row)
        if payment is not None:
            _settle_payments(store, ctx, row, payment)
        reader = ctx.promise_readers.get(row.client or "")
        if reply is not None and reader is not None:
            record_promises(store, ctx.account, reader, row, reply)
        if row.kind is Kind.BOUNCE and row.direction is not Direction.OUTBOUND:
            for address in row.bounced:
                client = ctx.clients.match(address)
                if client is None:
                    continue  # a bounce about someone who is not a client: not our business
                bounces.append((address, client, row.date, row.message_id, row.reason))
                clients[address] = client
    for address in store.mark_bouncing_many(ctx.account, bounces):
        log.warning("client.bouncing", client=clients[address], address=address)


def queue_reply(store: Store, ctx: SyncContext, row: MessageRow) -> None:
    """Queue a reply to a summary (``ghostwatch.app.mail_commands`` reads it after the sync)."""
    if commands.is_answer_id(row.message_id):
        return  # our own answer to a reply, in its thread: not a command
    named = {r.lower() for r in (*row.references, row.in_reply_to or "")}
    summary_id = " ".join(sorted(i for i in ctx.summary_ids if i.lower() in named))
    reply = QueuedReply(
        ctx.account,
        row.folder,
        row.uidvalidity,
        row.uid,
        row.message_id,
        row.from_addr,
        summary_id,
        ctx.now,
    )
    if store.queue_reply(reply):
        log.info("command.queued", message_id=row.message_id, sender=row.from_addr)


def _settle_payments(
    store: Store, ctx: SyncContext, row: MessageRow, payment: tuple[Envelope, str]
) -> None:
    """Mark paid every open invoice the payment notice ``row`` names (paid_by = its
    Message-ID) and log ``invoice.paid`` for each. A number open for several clients
    is ambiguous: it is logged and left for ``ghostwatch paid``."""
    env, text = payment
    owners: dict[str, list[str]] = {}
    for invoice in store.invoices(ctx.account):
        if invoice.paid_at is None:
            owners.setdefault(invoice.number, []).append(invoice.client)
    by = row.message_id or f"{row.folder}/{row.uidvalidity}/{row.uid}"
    for number in payments.match_payment(ctx.payment_matchers, env, text, owners):
        if len(owners[number]) > 1:
            log.warning("payment.ambiguous", invoice=number, clients=owners[number])
            continue
        client = owners[number][0]
        if store.mark_paid(ctx.account, client, number, row.date, by):
            store.append_event(
                "invoice.paid",
                at=row.date,
                account=ctx.account,
                client=client,
                message_id=row.message_id,
                invoice=number,
                by=by,
                sender=row.from_addr,
                subject=row.subject,
            )
            log.info("invoice.paid", client=client, invoice=number, by=by)
