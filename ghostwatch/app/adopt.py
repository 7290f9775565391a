"""Our own nudges found in Sent but unknown to the database, adopted back.

When the database was lost, or restored from an old copy, the nudges it forgot are
still in the Sent folder: each carries its slots in its ``X-Ghostwatch-Nudge`` header.
Adopting them rebuilds their outbox rows, so no ladder starts again and a ghosted
client stays ghosted (docs/behaviour.md, safety rule 1: never twice). Part of every
cycle, after the sync; costs one query when there is nothing to adopt.
"""

from __future__ import annotations

from datetime import datetime
from email.parser import BytesHeaderParser

import structlog

from ghostwatch.adapters.ports import Mailbox
from ghostwatch.config.loader import AccountConfig, Config
from ghostwatch.core import render
from ghostwatch.core.domain import FolderRole
from ghostwatch.store.database import Store

__all__ = ["ADOPT_FIELDS", "adopt_nudges"]

log = structlog.get_logger(__name__)
ADOPT_FIELDS = (b"X-Ghostwatch-Nudge", b"In-Reply-To")


async def adopt_nudges(
    mailbox: Mailbox,
    store: Store,
    config: Config,
    account: AccountConfig,
    folders: dict[FolderRole, str],
    now: datetime,
) -> int:
    """Rebuild the outbox rows of ``account``'s nudges found in its Sent folder but
    unknown to ``store``; return how many were adopted."""
    found = store.unadopted_nudges(account.name)
    sent = folders.get(FolderRole.SENT)
    if not found or sent is None:
        return 0
    adopted = 0
    for message_id, client, to_addr, sent_at, subject in found:
        uid = await mailbox.find_by_message_id(sent, message_id)
        if uid is None:
            continue
        header = b""
        async for batch in mailbox.fetch_headers([uid], ADOPT_FIELDS):
            header = batch[0].header if batch else b""
        fields = BytesHeaderParser().parsebytes(header)
        parsed = render.parse_nudge_header(
            str(fields.get(render.NUDGE_HEADER, "")), fields.get("In-Reply-To")
        )
        if parsed is None:
            log.warning("nudge.not_adopted", message_id=message_id, reason="no slots in header")
            continue
        template, slots = parsed
        if store.adopt_nudge(
            account=account.name,
            client=client,
            message_id=message_id,
            template=template or _template_at(config, client, slots[0]),
            slots=slots,
            sent_at=sent_at,
            to_addr=to_addr,
            subject=subject,
            at=now,
        ):
            adopted += 1
            log.warning("nudge.adopted", client=client, message_id=message_id, slots=len(slots))
    return adopted


def _template_at(config: Config, client_name: str, slot: tuple[str, str, int]) -> str:
    """The template a legacy nudge header did not name: its silence step's."""
    ladder = config.rules_for(config.client(client_name)).ladder
    step = slot[2]
    return ladder[step - 1].template if 0 < step <= len(ladder) else ""
