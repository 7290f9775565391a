"""Network facts shared by the IMAP and SMTP adapters and the config checks."""

from __future__ import annotations

import ipaddress
import ssl


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback IP literals (127.0.0.0/8, ::1)."""
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def tls_context(ca_file: str | None) -> ssl.SSLContext:
    """A verifying client context: the system CAs, plus ``ca_file`` when given.

    Verification and hostname checks are always on; there is no way to turn them off.
    """
    context = ssl.create_default_context()
    if ca_file is not None:
        context.load_verify_locations(cafile=ca_file)
    return context
