"""Incremental, read-only sync of one account's folders into the store.

Invariants:
1. Read-only: folders are EXAMINEd and bodies fetched with BODY.PEEK, so the user's
   mailbox is never changed (no \\Seen).
2. A folder's cursor (UIDVALIDITY, last UID) advances only after the batch it covers
   is stored, so a crash mid-sync re-reads, never skips. Re-reading is harmless:
   messages are de-duplicated by (folder, UIDVALIDITY, UID) and by Message-ID.
3. With nothing new, a folder costs one STATUS round trip.
4. A message that cannot be parsed or classified is logged and skipped; it never
   stops the sync.
5. The account's ``last_sync_at`` is set only when every folder synced; a failed sync
   leaves it as it was, so the stale-data guard (SPEC 3.3) can fire.
6. Bodies are fetched only when headers cannot decide: bounces and auto-replies of
   clients, and mail whose sender matches a ``payment_matchers`` ``from`` regex (a
   bank is an unrelated sender). Marking an invoice paid is idempotent, so a re-read
   batch pays nothing twice and logs no second ``invoice.paid``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import structlog

from ghostwatch import classify, payments
from ghostwatch.config_models import PaymentMatcher
from ghostwatch.domain import (
    Classification,
    ClientMatcher,
    Direction,
    Envelope,
    FolderRole,
    Kind,
)
from ghostwatch.imap import FetchedHeaders, ImapMailbox
from ghostwatch.store import Store

log = structlog.get_logger(__name__)

BODY_LIMIT = 256_000  # bytes of a bounce or auto-reply read to find recipients and dates
_PAYMENT = "_payment"  # row key: (Envelope, body text) of a possible payment notice


@dataclass(frozen=True)
class SyncContext:
    account: str
    addresses: frozenset[str]  # the account's own addresses
    matchers: Sequence[ClientMatcher]
    initial_scan: timedelta
    now: datetime
    nudge_ids: frozenset[str] = frozenset()  # Message-IDs of our own nudges
    payment_matchers: Sequence[PaymentMatcher] = ()  # the account's payment_matchers


@dataclass
class FolderReport:
    folder: str
    role: FolderRole
    fetched: int = 0
    stored: int = 0
    skipped: int = 0
    rescanned: bool = False


@dataclass
class SyncReport:
    account: str
    folders: list[FolderReport] = field(default_factory=list)

    @property
    def stored(self) -> int:
        return sum(f.stored for f in self.folders)


async def resolve_folders(
    mailbox: ImapMailbox, wanted: dict[FolderRole, str]
) -> dict[FolderRole, str]:
    """Return role -> folder name, replacing ``"auto"`` by the SPECIAL-USE folder.

    A role left empty is not watched; ``"auto"`` with no SPECIAL-USE folder found
    falls back to the conventional names ("Sent", "Drafts").
    """
    special = await mailbox.special_folders()
    fallback = {FolderRole.SENT: "Sent", FolderRole.DRAFTS: "Drafts"}
    out: dict[FolderRole, str] = {}
    for role, name in wanted.items():
        if not name:
            continue
        if name == "auto":
            found = special.get(role) or fallback.get(role)
            if found:
                out[role] = found
        else:
            out[role] = name
    return out


async def sync_folder(
    mailbox: ImapMailbox, store: Store, ctx: SyncContext, folder: str, role: FolderRole
) -> FolderReport:
    """Bring the store up to date with one folder; return what was done.

    Raises MailboxError on network faults (the cursor then stays where it was).
    """
    report = FolderReport(folder, role)
    status = await mailbox.status(folder)
    cursor = store.get_cursor(ctx.account, folder)
    if (
        cursor is not None
        and cursor.uidvalidity == status.uidvalidity
        and status.uidnext <= cursor.last_uid + 1
    ):
        store.save_cursor(
            ctx.account,
            folder,
            role=role.value,
            uidvalidity=status.uidvalidity,
            last_uid=cursor.last_uid,
            last_sync_at=ctx.now,
        )
        return report
    await mailbox.examine(folder)
    if cursor is None or cursor.uidvalidity != status.uidvalidity:
        # First sync, or the server renumbered the folder: read a bounded window again.
        # Messages already stored are recognised by Message-ID and not counted twice.
        report.rescanned = cursor is not None
        if cursor is not None:
            log.warning(
                "sync.uidvalidity_changed",
                folder=folder,
                old=cursor.uidvalidity,
                new=status.uidvalidity,
            )
            store.reset_folder(ctx.account, folder, status.uidvalidity)
        since = (ctx.now - ctx.initial_scan).date()
        uids = await mailbox.search_uids(since=since)
        last_uid = 0
    else:
        last_uid = cursor.last_uid
        uids = await mailbox.search_uids(min_uid=last_uid + 1)
    uids = sorted(u for u in uids if u > last_uid)
    async for batch in mailbox.fetch_headers(uids, classify.HEADER_FIELDS):
        rows = [
            await _row(mailbox, ctx, folder, role, status.uidvalidity, h, report) for h in batch
        ]
        kept = [r for r in rows if r is not None]
        report.fetched += len(batch)
        report.stored += store.record_messages([_stored(r) for r in kept])
        _side_effects(store, ctx, kept)
        last_uid = max([last_uid, *(h.uid for h in batch)])
        store.save_cursor(
            ctx.account,
            folder,
            role=role.value,
            uidvalidity=status.uidvalidity,
            last_uid=last_uid,
            last_sync_at=ctx.now,
        )
    if not uids:
        store.save_cursor(
            ctx.account,
            folder,
            role=role.value,
            uidvalidity=status.uidvalidity,
            last_uid=max(last_uid, status.uidnext - 1),
            last_sync_at=ctx.now,
        )
    return report


async def _row(
    mailbox: ImapMailbox,
    ctx: SyncContext,
    folder: str,
    role: FolderRole,
    uidvalidity: int,
    fetched: FetchedHeaders,
    report: FolderReport,
) -> dict[str, Any] | None:
    """Classify one fetched message into a store row; None (logged) if it is unusable."""
    try:
        env = classify.parse_headers(fetched.header)
        result = classify.classify(
            env, role=role, account_addresses=ctx.addresses, clients=ctx.matchers
        )
        # Bounces come from MAILER-DAEMON, not the client: read them to learn who bounced.
        if result.needs_body and (result.client is not None or result.kind is Kind.BOUNCE):
            raw = await mailbox.fetch_body(fetched.uid, max_bytes=BODY_LIMIT)
            result = classify.classify_body(raw, result, env)
        paying = result.direction is not Direction.OUTBOUND and payments.sender_matches(
            ctx.payment_matchers, env
        )
        if paying:
            raw = await mailbox.fetch_body(fetched.uid, max_bytes=BODY_LIMIT)
    except (ValueError, TypeError, LookupError, UnicodeError) as exc:
        # classify promises not to raise; this guard keeps one bad message from
        # stopping the sync should that promise ever break.
        report.skipped += 1
        log.warning("sync.message_skipped", folder=folder, uid=fetched.uid, error=repr(exc))
        return None
    row = message_row(ctx, folder, role, uidvalidity, fetched, env, result)
    if paying:  # matched against the open invoices once the batch is stored
        row[_PAYMENT] = (env, payments.message_text(raw))
    return row


def _stored(row: dict[str, Any]) -> dict[str, Any]:
    """``row`` without the keys the message table does not have."""
    return {k: v for k, v in row.items() if k != _PAYMENT}


def message_row(
    ctx: SyncContext,
    folder: str,
    role: FolderRole,
    uidvalidity: int,
    fetched: FetchedHeaders,
    env: Envelope,
    result: Classification,
) -> dict[str, Any]:
    """Return the ``message`` table row for one classified message.

    The contact time is the server's INTERNALDATE (when the message reached the
    mailbox), not the sender's Date header, which can be wrong or forged.
    """
    return {
        "account": ctx.account,
        "folder": folder,
        "uidvalidity": uidvalidity,
        "uid": fetched.uid,
        "message_id": env.message_id,
        "date": fetched.internal_date,
        "internal_date": fetched.internal_date,
        "direction": result.direction.value,
        "kind": result.kind.value,
        "client": result.client,
        "counterpart": result.counterpart,
        "from_addr": env.from_addr,
        "from_name": env.from_name,
        "to_addrs": ",".join(env.to + env.cc),
        "subject": env.subject,
        "in_reply_to": env.in_reply_to,
        "references": " ".join(env.references),
        "away_until": result.away_until,
        "bounced": list(result.bounced),
        "is_nudge": env.message_id is not None and env.message_id in ctx.nudge_ids,
        "reason": result.reason,
        "seen_at": ctx.now,
    }


def _side_effects(store: Store, ctx: SyncContext, rows: Sequence[dict[str, Any]]) -> None:
    """Record what a batch implies beyond the messages themselves: bouncing addresses
    and invoices paid."""
    for row in rows:
        if _PAYMENT in row:
            _settle_payments(store, ctx, row)
        if row["kind"] == Kind.BOUNCE.value and row["direction"] != Direction.OUTBOUND.value:
            for address in row["bounced"]:
                client = classify.match_client(address, ctx.matchers)
                if client is None:
                    continue  # a bounce about someone who is not a client: not our business
                store.mark_bouncing(
                    ctx.account, address, client, row["date"], row["message_id"], row["reason"]
                )
                log.warning("client.bouncing", client=client, address=address)


def _settle_payments(store: Store, ctx: SyncContext, row: dict[str, Any]) -> None:
    """Mark paid every open invoice the payment notice ``row`` names (paid_by = its
    Message-ID) and log ``invoice.paid`` for each. A number open for several clients
    is ambiguous: it is logged and left for ``ghostwatch paid``."""
    env, text = row[_PAYMENT]
    owners: dict[str, list[str]] = {}
    for invoice in store.invoices(ctx.account):
        if invoice.paid_at is None:
            owners.setdefault(invoice.number, []).append(invoice.client)
    by = row["message_id"] or f"{row['folder']}/{row['uidvalidity']}/{row['uid']}"
    for number in payments.match_payment(ctx.payment_matchers, env, text, owners):
        if len(owners[number]) > 1:
            log.warning("payment.ambiguous", invoice=number, clients=owners[number])
            continue
        client = owners[number][0]
        if store.mark_paid(ctx.account, client, number, row["date"], by):
            store.append_event(
                "invoice.paid",
                at=row["date"],
                account=ctx.account,
                client=client,
                message_id=row["message_id"],
                invoice=number,
                by=by,
                sender=row["from_addr"],
                subject=row["subject"],
            )
            log.info("invoice.paid", client=client, invoice=number, by=by)


async def sync_account(
    mailbox: ImapMailbox, store: Store, ctx: SyncContext, folders: dict[FolderRole, str]
) -> SyncReport:
    """Sync every watched folder, then mark the account's data fresh.

    Raises on the first folder that fails; ``last_sync_at`` is then left unchanged.
    """
    report = SyncReport(ctx.account)
    for role in (FolderRole.INBOX, FolderRole.SENT, FolderRole.ALL):
        if role in folders:
            report.folders.append(await sync_folder(mailbox, store, ctx, folders[role], role))
    store.set_sync_ok(ctx.account, ctx.now)
    log.info(
        "sync.done", stored=report.stored, folders={f.folder: f.fetched for f in report.folders}
    )
    return report
