"""Exactly-once delivery of nudges (docs/behaviour.md, safety rules 1 and 2).

The protocol for one due decision:
1. **Plan**: fix a Message-ID, render the exact message, insert an outbox row
   (``planned``). The store's UNIQUE (account, client, ladder, anchor, step) makes a
   second plan of the same slot impossible, whatever runs at the same time.
2. **Re-check**: sync the mailbox again and decide again, ignoring this row; if the
   slot is no longer due now (a reply came in), the row is ``cancelled``.
3. **Claim**: ``planned -> sending`` is a compare-and-set in the store: of two
   processes holding the same row, only one wins and sends.
4. **Deliver**: SMTP (mode "send") or APPEND to Drafts (mode "draft").
5. **Record**: ``sent``; ``planned`` again with a later attempt on a transient error;
   ``failed`` on a 5xx; ``unknown`` when the connection broke after DATA.

Recovery: a row left in ``sending`` (the process died) or ``unknown`` is resolved by
looking for its Message-ID in the Sent folder: found -> ``sent``; not found -> it
stays ``unknown`` and is reported. It is never resent: its slot stays taken.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage

import structlog

from ghostwatch.adapters.ports import Mailbox, Mailer
from ghostwatch.app.retries import RETRY_CAP, RETRY_DELAYS_S, RETRY_LATER
from ghostwatch.core import render
from ghostwatch.core.domain import (
    AccountState,
    Action,
    ClientState,
    Decision,
    FolderRole,
    OutboxStatus,
)
from ghostwatch.core.records import OutboxRow
from ghostwatch.core.templates import TemplateSet
from ghostwatch.errors import (
    GhostwatchError,
    MailboxError,
    SendAuthError,
    SendOutcomeUnknown,
    SendRejected,
    SendRetryable,
    SendTlsError,
)
from ghostwatch.store.database import IllegalTransition, Store

log = structlog.get_logger(__name__)

# A row ``sending`` for longer than this was abandoned by a dead process (a send,
# retries included, takes well under a minute).
SENDING_LEASE = timedelta(minutes=10)

Recheck = Callable[[str], Awaitable[Sequence[Decision]]]
# render.render_nudge's signature: (decision, client, account, templates, *, message_id, now)
Renderer = Callable[..., EmailMessage]


@dataclass
class Delivery:
    """What happened to one decision, for the cycle report."""

    decision: Decision
    status: OutboxStatus | None  # None: not planned (the slot was already taken)
    message_id: str | None = None  # None with FAILED: it failed before a row was written
    error: str | None = None
    # An exception nobody expected (a bug, a broken port): logged with its traceback;
    # the daemon records it as the account's last_error and backs off.
    unexpected: bool = False


def new_message_id(address: str) -> str:
    """Return a fresh Message-ID on the account's domain (fixed before sending)."""
    domain = address.rpartition("@")[2] or "ghostwatch.invalid"
    return render.make_message_id(domain, uuid.uuid4().hex)


def same_slot(a: Decision, b: Decision) -> bool:
    return (a.client, a.ladder, a.anchor, a.step) == (b.client, b.ladder, b.anchor, b.step)


@dataclass
class Courier:
    """Delivers one account's nudges over an open IMAP connection and a mailer."""

    store: Store
    account: AccountState
    mailbox: Mailbox
    mailer: Mailer | None  # None in draft mode
    folders: dict[FolderRole, str]
    templates: TemplateSet
    recheck: Recheck
    render_nudge: Renderer = render.render_nudge  # a test's fake through the App
    retry_delays: Sequence[float] = RETRY_DELAYS_S  # the App's (``retries.retry_delays()``)

    async def deliver(self, decision: Decision, client: ClientState, now: datetime) -> Delivery:
        """Plan, re-check, claim and send one SEND decision, exactly once.

        A nudge that cannot be rendered (template error, unusable address, any
        exception) is planned and at once marked ``failed`` with the reason: it fails
        alone, its slot is kept (never retried blindly) and the policy holds its ladder.
        """
        message_id = new_message_id(self.account.address)
        fault: Exception | None = None
        try:
            msg = self.render_nudge(
                decision, client, self.account, self.templates, message_id=message_id, now=now
            )
            subject, raw = str(msg["Subject"]), msg.as_bytes()
        except Exception as exc:  # one bad template or address fails this nudge only
            fault, subject, raw = exc, "", b""
        row = self.store.plan_nudge(
            account=self.account.name,
            client=decision.client,
            ladder=decision.ladder,
            anchor=decision.anchor,
            step=decision.step,
            template=decision.template or "",
            message_id=message_id,
            to_addr=decision.to_addr or "",
            subject=subject,
            raw=raw,
            reason=decision.reason,
            due_at=decision.at,
            planned_at=now,
            covers=decision.slots[1:],
            event={
                "kind": "nudge.planned",
                "at": now,
                "account": self.account.name,
                "client": decision.client,
                "template": decision.template,
                "step": decision.step,
                "reason": decision.reason,
                "covers": [
                    f"{ladder} {anchor} step {step}" for ladder, anchor, step in decision.slots[1:]
                ],
            },
        )
        if row is None:
            log.info("nudge.slot_taken", client=decision.client, step=decision.step)
            return Delivery(decision, None)
        if fault is not None:
            return self._unrenderable(row, decision, now, fault)
        return await self.send_planned(row, now)

    def _unrenderable(
        self, row: OutboxRow, decision: Decision, now: datetime, fault: Exception
    ) -> Delivery:
        """Mark a nudge that could not be rendered ``failed`` (planned -> sending ->
        failed: nothing went out); an unexpected exception keeps its traceback."""
        expected = isinstance(fault, GhostwatchError | ValueError)
        if not expected:
            log.error("nudge.render_crashed", client=row.client, exc_info=fault)
        error = f"could not be rendered: {type(fault).__name__}: {fault}"
        if not self.store.claim_outbox(row.id, at=now):
            return Delivery(decision, None, row.message_id, error)
        delivery = self._record(row, decision, OutboxStatus.FAILED, now, error)
        delivery.unexpected = not expected
        return delivery

    async def send_planned(self, row: OutboxRow, now: datetime) -> Delivery:
        """Re-check a planned row against fresh mail, claim it and deliver it."""
        fresh = await self.recheck(row.message_id)
        slots = set(self.store.outbox_slots(row.id))
        # Due now, and for the very same slots: a message planned for three invoices
        # is not sent once one of them was paid meanwhile (it is planned anew).
        decision = next(
            (
                d
                for d in fresh
                if d.action is Action.SEND and _matches(d, row) and set(d.slots) == slots
            ),
            None,
        )
        if decision is None:
            self.store.set_outbox_status(
                row.id,
                OutboxStatus.CANCELLED,
                error="no longer due",
                event={
                    "kind": "nudge.cancelled",
                    "at": now,
                    "account": self.account.name,
                    "reason": "re-checked before sending: no longer due",
                },
            )
            log.info("nudge.cancelled", client=row.client, message_id=row.message_id)
            return Delivery(_decision_of(row), OutboxStatus.CANCELLED, row.message_id)
        if not self.store.claim_outbox(row.id, at=now):
            log.info("nudge.claimed_elsewhere", message_id=row.message_id)
            return Delivery(decision, None, row.message_id)
        return await self._transmit(row, decision, now)

    async def _transmit(self, row: OutboxRow, decision: Decision, now: datetime) -> Delivery:
        if self.mailer is None:
            await self.mailbox.append(
                self.folders[FolderRole.DRAFTS], row.raw, flags=(b"\\Draft",), internal_date=now
            )
            return self._record(row, decision, OutboxStatus.DRAFTED, now)
        msg = _parse(row.raw)
        for attempt, delay in enumerate((*self.retry_delays, None)):
            try:
                await self.mailer.send(msg)
            except SendRetryable as exc:
                if delay is None:
                    backoff = min(RETRY_LATER * 2**row.attempts, RETRY_CAP)
                    self.store.set_outbox_status(
                        row.id, OutboxStatus.PLANNED, error=str(exc), next_attempt_at=now + backoff
                    )
                    return Delivery(decision, OutboxStatus.PLANNED, row.message_id, str(exc))
                log.warning(
                    "nudge.retry", message_id=row.message_id, attempt=attempt + 1, error=str(exc)
                )
                await asyncio.sleep(delay)
            except (SendAuthError, SendTlsError) as exc:
                # The account's login or certificate is wrong, not the nudge: keep it
                # for a later cycle; the account's error is reported (exit 1).
                self.store.set_outbox_status(
                    row.id, OutboxStatus.PLANNED, error=str(exc), next_attempt_at=now + RETRY_LATER
                )
                raise
            except SendRejected as exc:
                return self._record(row, decision, OutboxStatus.FAILED, now, str(exc))
            except ValueError as exc:  # the Mailer contract: refused before connecting
                return self._record(row, decision, OutboxStatus.FAILED, now, str(exc))
            except SendOutcomeUnknown as exc:
                return self._record(row, decision, OutboxStatus.UNKNOWN, now, str(exc))
            except Exception as exc:
                # A mailer that broke its contract: the content may have gone out, so
                # the only safe outcome is unknown (resolved from Sent, never resent).
                log.error("nudge.send_crashed", message_id=row.message_id, exc_info=exc)
                error = f"unexpected {type(exc).__name__} while sending: {exc}"
                delivery = self._record(row, decision, OutboxStatus.UNKNOWN, now, error)
                delivery.unexpected = True
                return delivery
            else:
                delivery = self._record(row, decision, OutboxStatus.SENT, now)
                await self._file_copy(row, now)
                return delivery
        raise AssertionError("unreachable")  # pragma: no cover

    def _record(
        self,
        row: OutboxRow,
        decision: Decision,
        status: OutboxStatus,
        now: datetime,
        error: str | None = None,
    ) -> Delivery:
        sent_at = now if status in (OutboxStatus.SENT, OutboxStatus.DRAFTED) else None
        event = {
            OutboxStatus.SENT: "nudge.sent",
            OutboxStatus.DRAFTED: "nudge.drafted",
            OutboxStatus.FAILED: "nudge.failed",
            OutboxStatus.UNKNOWN: "nudge.unknown",
        }[status]
        self.store.set_outbox_status(
            row.id,
            status,
            error=error,
            sent_at=sent_at,
            event={
                "kind": event,
                "at": now,
                "account": self.account.name,
                "to": row.to_addr,
                "step": row.step,
                "template": row.template,
                "error": error,
            },
        )
        level = log.info if error is None else log.warning
        level(event, client=row.client, message_id=row.message_id, step=row.step, error=error)
        return Delivery(decision, status, row.message_id, error)

    async def _file_copy(self, row: OutboxRow, now: datetime) -> None:
        """Put a copy in Sent unless the server filed one itself (Gmail, Exchange do)."""
        sent = self.folders.get(FolderRole.SENT)
        if sent is None:
            return
        try:
            if await self.mailbox.find_by_message_id(sent, row.message_id) is None:
                await self.mailbox.append(sent, row.raw, flags=(b"\\Seen",), internal_date=now)
        except Exception as exc:
            # The nudge went out; a missing Sent copy is worth a warning, not a resend
            # (nor a failed cycle: the row is already ``sent``).
            if not isinstance(exc, MailboxError):
                log.error("nudge.sent_copy_crashed", message_id=row.message_id, exc_info=exc)
            log.warning("nudge.sent_copy_failed", message_id=row.message_id, error=str(exc))

    async def resolve_unknown(self, now: datetime) -> list[Delivery]:
        """Settle nudges of unknown outcome by looking for them in Sent; never resend.

        A row left ``sending`` for longer than SENDING_LEASE was cut off by a crash
        (a younger one may be in flight in another process): it becomes ``unknown``.
        An ``unknown`` row found in Sent becomes ``sent``; otherwise it stays
        ``unknown``, keeps its slot, and is reported.
        """
        out: list[Delivery] = []
        stale = now - SENDING_LEASE
        interrupted = {
            "kind": "nudge.unknown",
            "at": now,
            "account": self.account.name,
            "error": "interrupted while sending",
        }
        for row in self.store.recover_interrupted(
            self.account.name, at=now, stale_before=stale, event=interrupted
        ):
            log.warning("nudge.interrupted", client=row.client, message_id=row.message_id)
            out.append(Delivery(_decision_of(row), OutboxStatus.UNKNOWN, row.message_id))
        sent = self.folders.get(FolderRole.SENT)
        if sent is None:
            return out
        for row in self.store.outbox_unknown(self.account.name):
            if await self.mailbox.find_by_message_id(sent, row.message_id) is None:
                continue
            resolved = {"kind": "nudge.resolved_sent", "at": now, "account": row.account}
            try:
                self.store.set_outbox_status(
                    row.id, OutboxStatus.SENT, sent_at=row.updated_at, event=resolved
                )
            except IllegalTransition:
                continue  # settled meanwhile by another process
            out.append(Delivery(_decision_of(row), OutboxStatus.SENT, row.message_id))
        return out


# Faults of the account, not of one nudge: the connection or the login is gone, so the
# account's cycle stops (reported, retried with backoff) instead of failing every nudge.
ACCOUNT_FAULTS = (MailboxError, SendAuthError, SendTlsError)


async def isolated(delivery: Awaitable[Delivery], what: Decision | OutboxRow) -> Delivery:
    """Await one nudge's delivery; a fault of that nudge alone (a store call, a bug)
    becomes its ``Delivery`` (``failed``, or the row the courier left) and the cycle goes
    on with the next nudge. Account faults (``ACCOUNT_FAULTS``) propagate."""
    decision = what if isinstance(what, Decision) else _decision_of(what)
    try:
        return await delivery
    except ACCOUNT_FAULTS:
        raise
    except Exception as exc:
        # Not turned into an outbox status (the row, if any, is left as it was and is
        # settled by the usual recovery): the daemon makes it the account's last_error.
        error = f"{type(exc).__name__}: {exc}"
        trace = None if isinstance(exc, GhostwatchError) else exc  # ours say enough
        log.error(
            "nudge.crashed", client=decision.client, step=decision.step, error=error, exc_info=trace
        )
        return Delivery(decision, OutboxStatus.FAILED, None, error, unexpected=True)


def _matches(decision: Decision, row: OutboxRow) -> bool:
    return (decision.client, decision.ladder, decision.anchor, decision.step) == (
        row.client,
        row.ladder,
        row.anchor,
        row.step,
    )


def _decision_of(row: OutboxRow) -> Decision:
    """A stand-in decision for reporting a row that no current decision describes."""
    from ghostwatch.core.domain import LadderKind

    kind = LadderKind(row.ladder.split(":", 1)[0])
    return Decision(
        client=row.client,
        account=row.account,
        action=Action.SEND,
        ladder=row.ladder,
        kind=kind,
        anchor=row.anchor,
        step=row.step,
        template=row.template,
        at=row.due_at,
        reason=row.reason or "",
        to_addr=row.to_addr,
    )


def _parse(raw: bytes) -> EmailMessage:
    from email import message_from_bytes, policy

    msg = message_from_bytes(raw, policy=policy.SMTP)
    assert isinstance(msg, EmailMessage)
    return msg
