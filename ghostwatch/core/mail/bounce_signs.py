"""Header signs of a bounce (delivery failure notice), for ``classify``.

PURE: no I/O, no clock; never raises on an Envelope.

Strong signs make a message BOUNCE from its headers alone: a ``multipart/report``
other than a read receipt, ``X-Failed-Recipients``, a delivery system's or mail
filter's sender (MAILER-DAEMON, postmaster, ``ndr``, mail-delivery subsystems,
antivirus and mail gateways), a mailing-list server returning a post, a localized
bounce subject from an automated sender. Weak signs (``bounce_suspect``) ask for the
body, where ``dsn`` confirms them or not: a bounce subject a person's address sent
or forwarded, a null Return-Path without other responder headers, a cloud mailer's
notification. A reply ("Re: Undeliverable") is a person talking about a bounce.
"""

from __future__ import annotations

import re

from ghostwatch.core.domain import Envelope, Kind
from ghostwatch.core.mail.subject_prefixes import BOUNCE_PREFIXES

__all__ = ["NOREPLY", "bounce_reason", "bounce_suspect"]

NOREPLY = re.compile(r"^(?:no-?reply|do-?not-?reply|donotreply|do_not_reply|noreply-[\w-]+)$")
_SYSTEM_LOCALS = re.compile(r"^(?:mailer-daemon|mail-daemon|maildaemon|postmaster|post_master"
                            r"|poostmaster|mdaemon|mail\.daemon|ndr|nondelivery|non-delivery"
                            r"|mail-?delivery(?:-subsystem)?|(?:anti-?)?virus(?:-?alert|-?scan\w*)?"
                            r"|mailscanner|mail-?sweeper|mail-?guard|mail-?gateway|interscan"
                            r"|scanmail|smtp-?gateway)(?:[+.-]|\d*$)")  # fmt: skip
_SYSTEM_NAMES = re.compile(r"mail delivery (?:subsystem|system|service)|mailer-daemon"
                           r"|mail administrator|postmaster|delivery status notification"
                           r"|(?:anti-?)?virus (?:scanner|alert|wall)|mailscanner"
                           r"|mail (?:gateway|security)")  # fmt: skip
# A mailing-list server's own address; with list-software headers its mail is the list
# returning your post ("you are not a member", "loop alert"), never a person.
_LIST_ADMIN = re.compile(r"^(?:owner-.+|.+-(?:admin|owner|request|bounces?)|listserv|majordomo"
                         r"|mailman|sympa|ezmlm)$")  # fmt: skip
_LIST_SOFTWARE = ("x-mlserver", "mailing-list", "list-id", "list-unsubscribe")


def bounce_reason(env: Envelope, report: str | None) -> str | None:
    """Why ``env`` is a bounce by a strong header sign, or None. ``report`` is the
    report-type of a multipart/report ("" without one), None for other types."""
    h = env.headers
    if report is not None and report != "disposition-notification":
        return f"multipart/report {report or '(no report-type)'}"
    if h.get("x-failed-recipients"):
        return "header X-Failed-Recipients"
    local = env.from_addr.partition("@")[0]
    if _SYSTEM_LOCALS.match(local) or (not local and _SYSTEM_NAMES.search(env.from_name.lower())):
        return f"From {env.from_addr or env.from_name}"
    if _SYSTEM_NAMES.search(env.from_name.lower()):
        return f"From {env.from_name}"
    if _LIST_ADMIN.match(local) and any(h.get(name) for name in _LIST_SOFTWARE):
        return f"mailing-list server notice from {env.from_addr}"
    if _bounce_subject(env.subject) and _looks_automated(env):
        return "bounce subject from an automated sender"
    return None


def _bounce_subject(subject: str) -> bool:
    return subject.casefold().lstrip("* ").startswith(BOUNCE_PREFIXES)


_FORWARD = re.compile(r"^\s*(?:fwd?|fw|tr|wg|rv|i|enc|vs|doorst)\s*[:：]\s*", re.IGNORECASE)
_NOTIFIER_DOMAINS = ("sns.amazonaws.com", "amazonses.com")  # SES bounce notices via SNS


def bounce_suspect(env: Envelope, kind: Kind, reason: str) -> bool:
    """Weak bounce signs that only the body can confirm (``classify_body``): a bounce
    subject a person's address sent or forwarded ("Fwd: Returned mail"), a null
    Return-Path (DSNs and RFC 3834 responders share it), a cloud mailer's notice.
    A reply ("Re: Undeliverable ...") is a person talking about a bounce: no sign."""
    if kind is Kind.HUMAN:
        return _bounce_subject(env.subject) or _bounce_subject(_FORWARD.sub("", env.subject, 1))
    if reason == "null Return-Path":
        return True
    return kind is Kind.BULK and env.from_addr.endswith(_NOTIFIER_DOMAINS)


def _looks_automated(env: Envelope) -> bool:
    h = env.headers
    return_path = h.get("return-path", "").strip().lower()
    return bool(
        (return_path in ("<>", "") and "return-path" in h)
        or "mailer-daemon" in return_path
        or h.get("auto-submitted", "no").lower() != "no"
        or not env.from_addr
        or NOREPLY.match(env.from_addr.partition("@")[0]) is not None
    )
