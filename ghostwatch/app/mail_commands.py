"""Acting on a reply to the daily summary (docs/commands.md): the shell around
``commands`` (the grammar) and ``actions`` (what each command does, as the CLI does).

The sync queues every message in INBOX that names a summary in ``In-Reply-To`` or
``References`` (``sync_effects.queue_reply``); ``handle`` reads each queued reply's
body after the sync, before the cycle decides, so what it changes counts at once.

Rules (a reply is acted on only if all hold; otherwise it is *refused*: nothing is
done, a ``command.refused`` event is recorded and the next summary reports it):
- Rule 1: its From is one of the summary account's addresses (``address``,
  ``aliases``) or ``[summary].to``.
- Rule 2: it is not a replay: no other message with its Message-ID was handled.
- Rule 3: its new text (quoted summary and signature removed) carries the key of the
  account's *latest* summary, and it threads to that summary. A key of an older
  summary, or one seen only in the quoted text, is refused.
- Rule 4: the key is used once (``Store.use_token``): a second reply with it
  is refused.
- Rule 5: each command acts through ``actions`` (the CLI's code paths) and is
  recorded (``command.done`` / ``command.failed``, with the line); a line that is no
  command is answered, never guessed. One answer goes back in the reply's thread,
  in the summary's language.
- Rule 6: a reply that fails for a bug fails alone (``command.failed``), the others
  and the cycle go on. The key is never logged and is stored only hashed.
"""

from __future__ import annotations

import email.utils
import hmac
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import structlog

from ghostwatch.adapters.ports import Mailbox, MailerFactory
from ghostwatch.app.endpoints import smtp_endpoint
from ghostwatch.app.mail_actions import Desk, act
from ghostwatch.config.loader import AccountConfig
from ghostwatch.core import command_words, commands, payments, render
from ghostwatch.core.domain import FolderRole, normalise_address
from ghostwatch.core.promises import reader as promises
from ghostwatch.core.summary.words import Words
from ghostwatch.store.commands import QueuedReply, TokenRow, token_hash

__all__ = ["Replies", "handle", "issue", "new_token", "sync_fields"]

log = structlog.get_logger(__name__)
BODY_LIMIT = 1_000_000  # bytes of a reply read: it quotes the whole summary (HTML too)


class Replies(Desk, Protocol):
    """What answering a reply to the summary needs of the App: the commands' needs
    and how a mailer is made (the composition root's factory, a test's fake)."""

    @property
    def mailer_factory(self) -> MailerFactory: ...


def new_token() -> str:
    """A fresh one-time key (printed as ``gw-`` + it): 12 of 31 symbols, ~59 bits."""
    return "".join(secrets.choice(commands.TOKEN_ALPHABET) for _ in range(commands.TOKEN_LENGTH))


def issue(
    app: Replies, message_id: str, token: str, labels: dict[str, dict[str, str]], now: datetime
) -> None:
    """Store the key of the summary ``message_id`` (hashed) with its labels."""
    app.store.issue_token(
        account=app.config.summary_account().name,
        message_id=message_id,
        token=token,
        labels=labels,
        language=app.config.summary.language,
        at=now,
    )


def sync_fields(
    app: Replies, account: AccountConfig, folders: Mapping[FolderRole, str]
) -> dict[str, Any]:
    """The ``SyncContext`` fields that make the sync queue replies to summaries: only
    for the summary account, with commands on."""
    inbox = folders.get(FolderRole.INBOX)
    summary = app.config.summary
    if not (summary.enabled and summary.commands and inbox):
        return {}
    if account.name != app.config.summary_account().name:
        return {}
    ids = app.store.summary_ids(account.name)
    return {"summary_ids": ids, "command_folder": inbox} if ids else {}


def own_addresses(app: Replies) -> frozenset[str]:
    """Rule 1's addresses, normalised."""
    account = app.config.summary_account()
    found = {account.address, *account.aliases, app.config.summary_to()}
    return frozenset(normalise_address(a) for a in found)


@dataclass(frozen=True, slots=True)
class Handled:
    reply: QueuedReply
    status: str  # "done" | "refused" | "failed"
    reason: str = ""  # refused: command_words.REFUSALS; failed: the error
    outcomes: tuple[command_words.Outcome, ...] = ()


async def handle(
    app: Replies, mailbox: Mailbox, account: AccountConfig, now: datetime
) -> list[Handled]:
    """Read and act on every queued reply of ``account`` (Rules 1-6); return what was
    done. Raise MailboxError if the mailbox fails (the replies stay queued)."""
    pending = app.store.pending_replies(account.name)
    done: list[Handled] = []
    for folder in sorted({r.folder for r in pending}):
        replies = [r for r in pending if r.folder == folder]
        status = await mailbox.examine(folder)
        current = [r.uid for r in replies if r.uidvalidity == status.uidvalidity]
        bodies = await mailbox.fetch_bodies(current, max_bytes=BODY_LIMIT) if current else {}
        for reply in replies:
            raw = bodies.get(reply.uid) if reply.uidvalidity == status.uidvalidity else None
            done.append(await _isolated(app, reply, raw, now))
    return done


async def _isolated(app: Replies, reply: QueuedReply, raw: bytes | None, now: datetime) -> Handled:
    """One reply, failing alone (Rule 6)."""
    try:
        result = await _one(app, reply, raw, now)
    except Exception as exc:  # a bug or a store fault: this reply fails, not the cycle
        log.error("command.failed", message_id=reply.message_id, error=repr(exc), exc_info=exc)
        _event(app, "command.failed", reply, now, error=f"{type(exc).__name__}: {exc}")
        result = Handled(reply, "failed", str(exc))
    app.store.finish_reply(reply, result.status, now)
    return result


def _refuse(app: Replies, reply: QueuedReply, reason: str, now: datetime) -> Handled:
    _event(app, "command.refused", reply, now, reason=reason)
    log.warning("command.refused", message_id=reply.message_id, reason=reason)
    return Handled(reply, "refused", reason)


def _event(app: Replies, kind: str, reply: QueuedReply, now: datetime, **data: Any) -> None:
    app.store.append_event(
        kind,
        at=now,
        account=reply.account,
        message_id=reply.message_id,
        sender=reply.from_addr,
        summary=reply.summary_id,
        **data,
    )


def _authenticate(app: Replies, reply: QueuedReply, new_text: str) -> TokenRow | str:
    """The latest summary's key row if the reply passes Rules 1-3, else the refusal."""
    if normalise_address(reply.from_addr) not in own_addresses(app):
        return "sender"
    if app.store.seen_before(reply):
        return "replay"
    keys = app.store.tokens(reply.account)
    given = {token_hash(t) for t in commands.find_tokens(new_text)}
    if not keys or not given:
        return "no key"
    latest = keys[0]
    if not any(hmac.compare_digest(latest.token_hash, g) for g in given):
        return "old key" if any(k.token_hash in given for k in keys[1:]) else "no key"
    if latest.message_id.lower() not in reply.summary_id.lower().split():
        return "old key"  # the latest key in a reply to an older summary
    return latest


async def _one(app: Replies, reply: QueuedReply, raw: bytes | None, now: datetime) -> Handled:
    if raw is None:
        return _refuse(app, reply, "lost", now)
    language = app.config.summary.language
    text = promises.new_text(payments.message_text(raw), language)
    key = _authenticate(app, reply, text)
    if isinstance(key, str):
        return _refuse(app, reply, key, now)
    if not app.store.use_token(key.message_id, reply.message_id or "", now):
        return _refuse(app, reply, "used key", now)
    w = Words(key.language, ZoneInfo(app.config.summary_account().timezone))
    outcomes = act(app, w, text, key.labels, now, reply=reply.message_id or "")
    for outcome in outcomes:
        kind = "command.done" if outcome.done else "command.failed"
        _event(app, kind, reply, now, line=outcome.line, result=outcome.done or outcome.error)
    log.info("command.handled", message_id=reply.message_id, commands=len(outcomes))
    await _answer(app, raw, reply, command_words.answer_text(w, outcomes), now)
    return Handled(reply, "done", outcomes=tuple(outcomes))


def answer_message(
    app: Replies, raw: bytes, reply: QueuedReply, body: str, now: datetime
) -> EmailMessage:
    """The answer: from the summary account to the reply's sender, in its thread."""
    account = app.config.summary_account()
    fields = BytesHeaderParser(policy=render.POLICY).parsebytes(raw)
    user, _, domain = account.address.rpartition("@")
    to_user, _, to_domain = normalise_address(reply.from_addr).rpartition("@")
    msg = EmailMessage(policy=render.POLICY)
    msg["From"] = Address(render.sanitize_header(account.name_in() or "ghostwatch"), user, domain)
    msg["To"] = Address("", to_user, to_domain)
    msg["Subject"] = render.reply_subject(render.sanitize_header(str(fields.get("Subject", ""))))
    msg["Date"] = email.utils.format_datetime(now.astimezone(ZoneInfo(account.timezone)))
    msg["Message-ID"] = commands.answer_id(domain or "ghostwatch.invalid", uuid.uuid4().hex)
    if reply.message_id:
        refs = render.sanitize_header(str(fields.get("References", ""))).split()
        msg["In-Reply-To"] = reply.message_id
        msg["References"] = " ".join([*refs[-10:], reply.message_id])
    msg["Auto-Submitted"] = "auto-replied"  # RFC 3834: machine-made, do not answer it
    msg.set_content(body, subtype="plain", charset="utf-8")
    return msg


async def _answer(app: Replies, raw: bytes, reply: QueuedReply, body: str, now: datetime) -> None:
    """Send the answer; a failure is logged and recorded (the commands stand)."""
    msg = answer_message(app, raw, reply, body, now)
    try:
        mailer = app.mailer_factory(smtp_endpoint(app.config.summary_account()))
        try:
            await mailer.send(msg)
        finally:
            await mailer.close()  # QUIT, also after a failed send
    except Exception as exc:  # the commands were done; only the answer is missing
        log.warning("command.answer_failed", message_id=reply.message_id, error=repr(exc))
        _event(app, "command.answer_failed", reply, now, error=f"{type(exc).__name__}: {exc}")
        return
    _event(app, "command.answered", reply, now, answer=str(msg["Message-ID"]))
