"""The summary's words in its reader's language: counts, spans, template names and the
reasons of decisions. PURE (see ``summary``; the catalogues are ``ghostwatch.core.i18n``'s).

Rule 1: every word the summary shows is a message of the catalogue (a msgid in the
code, marked ``w._``/``w.ngettext``/``w.pgettext`` so Babel's extractor finds it), a
reason code (context = the code, msgid = ``reasons.ENGLISH[code]``) or a template label
(context ``template``, msgid = ``reasons.TEMPLATE_LABELS[name]``).
Rule 2: a reason is said from its ``Why`` clauses when the decision has them; the
English ``reason`` text is the fallback only for a decision without clauses.
Rule 3: a clause's arguments are written for the reader: a ``date`` (local to the
client) as a short day, a ``datetime`` (UTC) as day and time in the summary's zone, a
``template`` as its translated label, anything else as text on one line.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from ghostwatch.core.domain import Why
from ghostwatch.core.i18n import Translator
from ghostwatch.core.reasons import ENGLISH, TEMPLATE_LABELS
from ghostwatch.core.summary.facts import clean

__all__ = ["GHOST", "Words"]

GHOST = "ghost"  # the pseudo-template of "the client will be marked ghosted"
_DAY = timedelta(days=1)


class Words(Translator):
    """The summary's phrases in one language and zone (see ``i18n.Translator``)."""

    def days(self, n: int) -> str:
        return self.ngettext("{n} day", "{n} days", n)

    def span(self, gap: timedelta) -> str:
        """A duration rounded for a person: hours below a day, else days."""
        hours = math.ceil(gap / timedelta(hours=1))
        if hours < 24:
            return self.ngettext("{n} hour", "{n} hours", hours)
        return self.days(round(gap / _DAY))

    def short_days(self, n: float) -> str:
        """A threshold under the silence bar ("7d")."""
        days = f"{n:g}"  # 7.0 -> "7", 3.5 -> "3.5"
        return self._("{n}d", n=days)

    def label(self, template: str) -> str:
        """What a nudge is called ("check-in"); "ghost" is marking the client ghosted; a
        template of the user's own (no label) is shown by its name."""
        if template == GHOST:
            return self._("marked ghosted")
        english = TEMPLATE_LABELS.get(template)
        if english is None:
            return clean(template.replace("_", " "))
        return self.pgettext("template", english)

    def arg(self, name: str, value: object) -> str:
        """One argument of a reason clause, written for the reader (Rule 3)."""
        if isinstance(value, datetime):
            return self.at(value)
        if isinstance(value, date):
            return self.day(value)
        if name == "template" and isinstance(value, str):
            return self.label(value)
        return clean(str(value))

    def clause(self, why: Why) -> str:
        """One clause in the reader's language; an unknown code in English words."""
        args = {k: self.arg(k, v) for k, v in why.args}
        english = ENGLISH.get(why.code)
        if english is None:  # a code newer than this module: still say something true
            return clean(why.code + " " + ", ".join(f"{k}={v}" for k, v in args.items()))
        return self.pgettext(why.code, english, **args)

    def reason(self, client: str, clauses: Iterable[Why], english: str) -> str:
        """The reason of a decision about ``client``, without the leading "Client: "
        (the row names the client): from ``clauses``, else the ``english`` text."""
        said = [self.clause(c) for c in clauses]
        text = self.pgettext("join clauses", "; ").join(said) if said else clean(english)
        prefix = f"{clean(client)}: "
        return text[len(prefix) :] if text.startswith(prefix) else text

    def headings(self) -> dict[str, str]:
        """The fixed words of both templates (``t.<key>`` there)."""
        return {
            "title": self._("Daily summary"),
            "needs": self._("Needs you"),
            "sent": self._("Sent since the last summary"),
            "next": self._("Going out next"),
            "waiting": self._("Waiting on clients"),
            "invoices": self._("Invoices"),
            "health": self._("Health"),
            "nothing": self._("Nothing here."),
            "quiet": self._("unusually quiet"),
            "ok": self._("all good"),
            "footer": self._("Sent by ghostwatch once a day. For every client: ghostwatch status."),
            "col_client": self._("Client"),
            "col_invoice": self._("Invoice"),
            "col_amount": self._("Amount"),
            "col_due": self._("Due"),
            "col_status": self._("Status"),
        }

    def nudge_status(self, status: str) -> str:
        """An outbox status (or "scheduled", "due", "held") in words."""
        words = {
            "sent": self.pgettext("nudge", "sent"),
            "drafted": self._("put in Drafts"),
            "failed": self._("failed"),
            "unknown": self._("outcome unknown"),
            "planned": self._("retrying"),
            "sending": self._("sending"),
            "scheduled": self._("scheduled"),
            "due": self._("due now"),
            "held": self.pgettext("nudge", "held"),
        }
        return words.get(status, clean(status))
