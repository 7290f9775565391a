"""Incremental, read-only sync of one account's folders into the store.

Invariants:
1. Read-only: folders are EXAMINEd and bodies fetched with BODY.PEEK, so the user's
   mailbox is never changed (no \\Seen).
2. A folder's cursor (UIDVALIDITY, last UID) advances only after the batch it covers
   is stored, so a crash mid-sync re-reads, never skips. Re-reading is harmless:
   messages are de-duplicated by (folder, UIDVALIDITY, UID) and by Message-ID.
3. With nothing new, a folder costs one STATUS round trip.
4. A message that cannot be parsed or classified never stops the sync, and client
   mail is never dropped silently: if its sender is (or its raw From field holds) a
   client's address it is stored as kind ``unreadable`` with the reason, else it is
   logged and skipped (``sync.message_skipped``).
5. The account's ``last_sync_at`` is set only when every folder synced; a failed sync
   leaves it as it was, so the stale-data guard (docs/behaviour.md, safety rule 3) can fire.
6. Bodies are fetched only when headers cannot decide: bounces and auto-replies of
   clients, and mail whose sender matches a ``payment_matchers`` ``from`` regex (a
   bank is an unrelated sender). A batch's bodies are read in one FETCH, once each.
   Marking an invoice paid is idempotent, so a re-read batch pays nothing twice and
   logs no second ``invoice.paid``.
7. Only mail that concerns a client is stored (a message whose classification names
   a client): the store keeps no record of the user's other mail, its senders or
   subjects. What the rest implies is still acted on as each batch is read: a bounce
   from MAILER-DAEMON marks the client address that bounced, a bank's notice pays
   an invoice. (This also halves the database work of a first sync, where most
   mail is newsletters, notifications and strangers.)
8. Because of 7, a folder's cursor remembers which clients it was read for
   (``SyncContext.clients_key``). When they change -- a client, address or domain
   added -- the folder's ``initial_scan`` window (and anything past the cursor) is
   read again, so a new client's history is known at once; messages already stored
   are recognised by UID and Message-ID and not counted twice. Messages stored
   before keep the client they were stored for.
9. A message is recognised as one already stored by UID, or by ``message_key``
   (Message-ID + sender + header Date): a Message-ID reused by another message is
   not enough to drop it (``store.message_key``).
10. Where a message's own Date is needed (an out-of-office return date) and it has
   none, its INTERNALDATE stands in (``Envelope.received``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import structlog

from ghostwatch.adapters.imap_fetch import FetchedHeaders
from ghostwatch.adapters.ports import Mailbox
from ghostwatch.app.sync_context import SyncContext
from ghostwatch.app.sync_effects import Payment, record_side_effects
from ghostwatch.core import commands, payments, render
from ghostwatch.core.cursor import Cursor, Read, ReadPlan, plan_read, settled_uid
from ghostwatch.core.domain import (
    Classification,
    Direction,
    Envelope,
    FolderRole,
    Kind,
)
from ghostwatch.core.mail import classify
from ghostwatch.store.database import MessageRow, Store, message_key

log = structlog.get_logger(__name__)

BODY_LIMIT = 256_000  # bytes of a bounce or auto-reply read to find recipients and dates


@dataclass(frozen=True, slots=True)
class _Read:
    """A message classified from its headers, waiting for its body if it needs one."""

    fetched: FetchedHeaders
    env: Envelope
    result: Classification
    paying: bool  # sender matches a payment matcher: read the body, match invoices
    promising: bool = False  # a client's human reply that may promise to pay

    @property
    def refines(self) -> bool:
        """classify_body has something to add."""
        # Bounces come from MAILER-DAEMON, not the client: read them to learn who bounced.
        # A suspected bounce is read whoever sent it: it may name a client that bounced.
        result = self.result
        return result.needs_body and (
            result.client is not None or result.kind is Kind.BOUNCE or result.bounce_suspect
        )

    @property
    def wants_body(self) -> bool:
        return self.refines or self.paying or self.promising


@dataclass
class FolderReport:
    folder: str
    role: FolderRole
    fetched: int = 0
    stored: int = 0  # new messages stored: those that concern a client (Invariant 7)
    skipped: int = 0
    rescanned: bool = False


@dataclass
class SyncReport:
    account: str
    folders: list[FolderReport] = field(default_factory=list)

    @property
    def stored(self) -> int:
        return sum(f.stored for f in self.folders)


async def resolve_folders(mailbox: Mailbox, wanted: dict[FolderRole, str]) -> dict[FolderRole, str]:
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
    mailbox: Mailbox, store: Store, ctx: SyncContext, folder: str, role: FolderRole
) -> FolderReport:
    """Bring the store up to date with one folder; return what was done. What to read
    is decided by ``core.cursor.plan_read`` from the cursor and the folder's STATUS.

    Raises MailboxError on network faults (the cursor then stays where it was).
    """
    report = FolderReport(folder, role)
    status = await mailbox.status(folder)
    cursor = store.get_cursor(ctx.account, folder)
    plan = plan_read(
        cursor,
        uidvalidity=status.uidvalidity,
        uidnext=status.uidnext,
        clients_key=ctx.clients_key,
        now=ctx.now,
        initial_scan=ctx.initial_scan,
    )
    if plan.read is Read.NOTHING:  # Invariant 3: one STATUS, the cursor touched
        _save_cursor(store, ctx, folder, role, status.uidvalidity, plan.last_uid)
        return report
    await mailbox.examine(folder)
    report.rescanned = plan.rescanned
    uids = await _search(mailbox, store, ctx, folder, cursor, status.uidvalidity, plan)
    uids = sorted(u for u in uids if u > plan.last_uid)
    last_uid = await _read_new(mailbox, store, ctx, report, status.uidvalidity, uids, plan.last_uid)
    if not uids:
        last_uid = settled_uid(last_uid, status.uidnext)
        _save_cursor(store, ctx, folder, role, status.uidvalidity, last_uid)
    return report


async def _search(
    mailbox: Mailbox,
    store: Store,
    ctx: SyncContext,
    folder: str,
    cursor: Cursor | None,
    uidvalidity: int,
    plan: ReadPlan,
) -> list[int]:
    """The UIDs ``plan`` asks for. First sync, the server renumbered the folder, or the
    clients changed: a bounded window again (messages already stored are recognised by
    UID and Message-ID and not counted twice); else what is past the cursor."""
    if plan.since is None:
        return await mailbox.search_uids(min_uid=plan.min_uid)
    uids = await mailbox.search_uids(since=plan.since)
    if plan.read is Read.RENUMBERED and cursor is not None:
        log.warning(
            "sync.uidvalidity_changed", folder=folder, old=cursor.uidvalidity, new=uidvalidity
        )
        store.reset_folder(ctx.account, folder, uidvalidity)
    elif plan.min_uid is not None:
        # and whatever arrived since the last sync, whatever its date
        uids = sorted({*uids, *await mailbox.search_uids(min_uid=plan.min_uid)})
        log.info("sync.clients_changed", folder=folder, window_start=plan.since.isoformat())
    return uids


async def _read_new(
    mailbox: Mailbox,
    store: Store,
    ctx: SyncContext,
    report: FolderReport,
    uidvalidity: int,
    uids: list[int],
    last_uid: int,
) -> int:
    """Fetch, classify and store ``uids`` of ``report``'s folder batch by batch, the
    cursor advancing after each stored batch (Invariant 2), counted in ``report``;
    return the last UID read (``last_uid`` if none)."""
    folder, role = report.folder, report.role
    meter = ctx.progress.start(ctx.account, folder, len(uids), scan=last_uid == 0)
    async for batch in mailbox.fetch_headers(uids, classify.HEADER_FIELDS):
        kept = await _rows(mailbox, ctx, folder, role, uidvalidity, batch, report)
        report.fetched += len(batch)
        # Invariant 7: only mail that concerns a client is kept; bounces and payment
        # notices from others are acted on below
        mine = [r[0] for r in kept if r[0].client is not None]
        report.stored += store.record_messages(mine, seen_at=ctx.now)
        record_side_effects(store, ctx, kept)
        last_uid = max([last_uid, *(h.uid for h in batch)])
        _save_cursor(store, ctx, folder, role, uidvalidity, last_uid)
        meter.advance(len(batch))  # per batch, never per message (progress.py Rule 1)
    meter.finish()
    return last_uid


def _save_cursor(
    store: Store, ctx: SyncContext, folder: str, role: FolderRole, uidvalidity: int, last: int
) -> None:
    store.save_cursor(
        ctx.account,
        folder,
        role=role.value,
        uidvalidity=uidvalidity,
        last_uid=last,
        last_sync_at=ctx.now,
        clients_key=ctx.clients_key,
    )


async def _rows(
    mailbox: Mailbox,
    ctx: SyncContext,
    folder: str,
    role: FolderRole,
    uidvalidity: int,
    batch: Sequence[FetchedHeaders],
    report: FolderReport,
) -> list[tuple[MessageRow, Payment, str | None]]:
    """Classify a fetched batch into rows: those of client mail, bounces and payment
    notices; mail that concerns no client and implies nothing is dropped here
    (Invariant 7). Unusable messages are skipped and logged. The bodies the batch
    needs are read in one FETCH (Invariant 6)."""
    reads = [_read(ctx, folder, role, fetched, report) for fetched in batch]
    wanted = [r.fetched.uid for r in reads if r is not None and r.wants_body]
    bodies = await mailbox.fetch_bodies(wanted, max_bytes=BODY_LIMIT) if wanted else {}
    rows: list[tuple[MessageRow, Payment, str | None]] = []
    for read in reads:
        if read is None:
            continue
        result, raw = read.result, bodies.get(read.fetched.uid, b"")
        try:
            if read.refines:
                result = classify.classify_body(raw, result, read.env)
        except _SKIPPED as exc:
            if result.client is None:
                _skip(report, folder, read.fetched, exc)
                continue
            result = _unreadable(result.client, result.counterpart, exc)
        env = read.env
        to_summary = commands.threads_to(env.in_reply_to, env.references, ctx.summary_ids)
        if to_summary and result.direction is Direction.OUTBOUND:
            result = replace(result, client=None, counterpart=None)  # the user, not contact
        to_summary = to_summary and folder == ctx.command_folder  # queued by sync_effects
        unrelated = result.client is None and result.kind is not Kind.BOUNCE
        if unrelated and not read.paying and not to_summary:
            continue  # concerns no client and implies nothing (Invariant 7)
        row = message_row(ctx, folder, role, uidvalidity, read.fetched, read.env, result)
        # a payment notice is matched against the open invoices once the batch is stored
        paid = (read.env, payments.message_text(raw)) if read.paying else None
        reply = payments.message_text(raw) if read.promising and result.kind is Kind.HUMAN else None
        rows.append((row, paid, reply))
    return rows


# classify promises not to raise; this guard keeps one bad message from stopping the
# sync should that promise ever break (Invariant 4).
_SKIPPED = (ValueError, TypeError, LookupError, UnicodeError)


def _read(
    ctx: SyncContext, folder: str, role: FolderRole, fetched: FetchedHeaders, report: FolderReport
) -> _Read | None:
    """Classify one message from its headers. One that cannot be read is stored as
    UNREADABLE if a client's address is in its raw From field, else None (logged)."""
    try:
        env = ctx.parse(fetched.header, received=fetched.internal_date)
        result = classify.classify(
            env, role=role, account_addresses=ctx.addresses, clients=ctx.clients
        )
        paying = result.direction is not Direction.OUTBOUND and payments.sender_matches(
            ctx.payment_matchers, env
        )
    except _SKIPPED as exc:
        sender = (
            classify.raw_sender(fetched.header, ctx.clients)
            if role is not FolderRole.SENT
            else None
        )
        if sender is None:
            _skip(report, folder, fetched, exc)
            return None
        client, address = sender
        env = Envelope(None, None, address, "", received=fetched.internal_date)
        log.warning("sync.message_unreadable", folder=folder, uid=fetched.uid, client=client)
        return _Read(fetched, env, _unreadable(client, address, exc), False)
    promising = (
        result.kind is Kind.HUMAN
        and result.direction is Direction.INBOUND
        and result.client in ctx.promise_readers
    )
    return _Read(fetched, env, result, paying, promising)


def _unreadable(client: str, address: str | None, exc: Exception) -> Classification:
    """Client mail that could not be classified: stored, never dropped (Invariant 4)."""
    return Classification(
        Kind.UNREADABLE, Direction.INBOUND, client, address, f"unreadable: {exc!r}"[:200]
    )


def _skip(report: FolderReport, folder: str, fetched: FetchedHeaders, exc: Exception) -> None:
    report.skipped += 1
    log.warning("sync.message_skipped", folder=folder, uid=fetched.uid, error=repr(exc))


def message_row(
    ctx: SyncContext,
    folder: str,
    role: FolderRole,
    uidvalidity: int,
    fetched: FetchedHeaders,
    env: Envelope,
    result: Classification,
) -> MessageRow:
    """Return the ``message`` table row for one classified message.

    The contact time is the server's INTERNALDATE (when the message reached the
    mailbox), not the sender's Date header, which can be wrong or forged.
    """
    return MessageRow(
        account=ctx.account,
        folder=folder,
        uidvalidity=uidvalidity,
        uid=fetched.uid,
        message_id=_text(env.message_id),
        date=fetched.internal_date,
        internal_date=fetched.internal_date,
        direction=result.direction,
        kind=result.kind,
        client=result.client,
        counterpart=_text(result.counterpart),
        from_addr=_clean(env.from_addr),
        from_name=_clean(env.from_name),
        to_addrs=tuple(_clean(a) for a in env.to + env.cc),
        subject=_clean(env.subject),
        in_reply_to=_text(env.in_reply_to),
        references=tuple(_clean(r) for r in env.references),
        away_until=result.away_until,
        bounced=result.bounced,
        # ours: planned by this database, or of the form only ghostwatch writes (a nudge
        # sent before the database was lost; app.adopt.adopt_nudges rebuilds its slots)
        is_nudge=env.message_id in ctx.nudge_ids or render.is_own_message_id(env.message_id),
        reason=_clean(result.reason),
        seen_at=ctx.now,
        message_key=message_key(env.message_id, env.from_addr, env.date),
    )


def _clean(text: str) -> str:
    """NUL to U+FFFD: PostgreSQL refuses NUL in text, and a client's garbled header
    must not fail the whole batch."""
    return text.replace("\x00", "\ufffd") if "\x00" in text else text


def _text(text: str | None) -> str | None:
    return None if text is None else _clean(text)


async def sync_account(
    mailbox: Mailbox, store: Store, ctx: SyncContext, folders: dict[FolderRole, str]
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
