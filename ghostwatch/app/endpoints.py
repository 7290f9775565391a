"""An account's configuration turned into the adapters' endpoints (no I/O).

The composition root, the IDLE watchers, the quiet poll, the summary, the replies to
commands and ``check-config --online`` all reach the servers through these two
functions, so a server is always dialled the same way: its TLS mode, timeout, CA
file and, given ``logins``, the account's ``auth_retry`` after a refused login.
"""

from __future__ import annotations

from typing import Literal

from ghostwatch.adapters.auth_backoff import AuthBackoff, LoginGate
from ghostwatch.adapters.imap_session import ImapEndpoint
from ghostwatch.adapters.net import PASSWORD, login_advice
from ghostwatch.adapters.smtp import SmtpEndpoint
from ghostwatch.config.loader import AccountConfig
from ghostwatch.errors import ConfigError

__all__ = ["imap_endpoint", "smtp_endpoint"]


def imap_endpoint(
    account: AccountConfig, logins: AuthBackoff | None = None, *, wait: bool = False
) -> ImapEndpoint:
    """The account's IMAP endpoint; with ``logins``, its logins keep the account's
    ``auth_retry`` after a refusal (``wait``: sleep until then instead of raising)."""
    imap = account.imap
    return ImapEndpoint(
        host=imap.host,
        port=imap.port,
        security=imap.security,
        username=imap.username,
        password=imap.secret().reveal,
        timeout_s=imap.timeout.total_seconds(),
        ca_file=str(imap.ca_file) if imap.ca_file else None,
        auth=imap.auth,
        gate=_gate(logins, account, "imap", wait=wait),
    )


def _gate(
    logins: AuthBackoff | None,
    account: AccountConfig,
    protocol: Literal["imap", "smtp"],
    *,
    wait: bool = False,
) -> LoginGate | None:
    if logins is None:
        return None
    server = account.imap if protocol == "imap" else account.smtp
    hint = login_advice(server.host, server.auth) if server is not None else PASSWORD
    return logins.gate(
        account.name,
        protocol,
        retry=account.auth_retry,
        zone=account.timezone,
        hint=hint,
        wait=wait,
    )


def smtp_endpoint(account: AccountConfig, logins: AuthBackoff | None = None) -> SmtpEndpoint:
    """Return the account's SMTP endpoint; config guarantees one in send mode. With
    ``logins``, its logins keep the account's ``auth_retry`` after a refusal."""
    smtp = account.smtp
    if smtp is None:
        raise ConfigError([f"accounts.{account.name}.smtp: needed to send"])
    return SmtpEndpoint(
        host=smtp.host,
        port=smtp.port,
        security=smtp.security,
        username=smtp.username or None,
        password=smtp.secret().reveal if smtp.username else None,
        timeout_s=smtp.timeout.total_seconds(),
        ca_file=str(smtp.ca_file) if smtp.ca_file else None,
        auth=smtp.auth,
        gate=_gate(logins, account, "smtp"),
    )
