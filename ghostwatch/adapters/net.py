"""Network facts shared by the IMAP and SMTP adapters and the config checks."""

from __future__ import annotations

import ipaddress
import ssl
from dataclasses import dataclass

from ghostwatch.core.reasons import LOGIN_HINTS


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


# Hosts whose providers refuse the account's own password over IMAP and SMTP: they
# want an app password (or OAuth2). Matched on the host name's tail.
_APP_PASSWORD_HOSTS = {
    "gmail.com": "Gmail",
    "googlemail.com": "Gmail",
    "mail.me.com": "iCloud",
    "fastmail.com": "Fastmail",
}
_MICROSOFT_HOSTS = ("office365.com", "outlook.com", "hotmail.com", "live.com")


def _host_matches(host: str, tail: str) -> bool:
    host = host.lower().rstrip(".")
    return host == tail or host.endswith("." + tail)


@dataclass(frozen=True, slots=True)
class LoginAdvice:
    """What to check after a refused login: ``LOGIN_HINTS[kind]`` filled with ``params``."""

    kind: str
    params: tuple[tuple[str, str], ...] = ()

    def __str__(self) -> str:
        return LOGIN_HINTS[self.kind].format(**dict(self.params))


PASSWORD = LoginAdvice("password")  # the advice when nothing more is known


def login_advice(host: str, auth: str = "password", reply: str = "") -> LoginAdvice:
    """The usual cause of a refused login at ``host``; ``reply`` (the server's words,
    when known) can name it more exactly."""
    said = reply.lower()
    if "imap" in said and ("disabled" in said or "not enabled" in said):
        return LoginAdvice("imap_off")
    if auth == "xoauth2":
        return LoginAdvice("token")
    for tail, provider in _APP_PASSWORD_HOSTS.items():
        if _host_matches(host, tail):
            return LoginAdvice("app_password", (("provider", provider),))
    if any(_host_matches(host, tail) for tail in _MICROSOFT_HOSTS):
        return LoginAdvice("microsoft")
    return PASSWORD


def login_hint(host: str, auth: str = "password", reply: str = "") -> str:
    """``login_advice`` as plain English words."""
    return str(login_advice(host, auth, reply))


def server_words(text: str) -> str:
    """A server's reply as plain words: imapclient hands over ``str(bytes)`` (
    ``"b'[AUTHENTICATIONFAILED] Authentication failed.'"``); return the text inside,
    one line, without the response code's brackets doubled or Python quoting."""
    text = text.strip()
    if len(text) >= 3 and text[0] == "b" and text[1] in "'\"" and text[-1] == text[1]:
        text = text[2:-1].replace("\\'", "'").replace('\\"', '"').replace("\\\\", "\\")
    return " ".join(text.split())


_IMPLICIT_TLS_PORTS = {"imap": 993, "smtp": 465}
_STARTTLS_PORTS = {"imap": (143,), "smtp": (587, 25)}


def connection_hint(protocol: str, security: str, port: int, error: str) -> str:
    """The usual cause of a failed connection (not a refused login), in plain words:
    a certificate that does not verify, TLS spoken to a STARTTLS port or the other way
    round, nothing listening, no answer, a host name that does not resolve."""
    text = error.lower()
    if "certificate" in text:
        return (
            "the server's certificate could not be verified: check the host name, or "
            "set ca_file to your private CA's certificate"
        )
    tls_port = _IMPLICIT_TLS_PORTS.get(protocol)
    if security == "tls" and port in _STARTTLS_PORTS.get(protocol, ()):
        return (
            f'port {port} usually speaks STARTTLS: set security = "starttls" (or port {tls_port})'
        )
    if security == "starttls" and port == tls_port:
        return f'port {port} speaks TLS from the start: set security = "tls"'
    if "wrong version number" in text or "record layer" in text or "starttls" in text:
        return "the server does not speak the configured security here: check port and security"
    if "refused" in text:
        return "nothing listens there: check the host and the port"
    if "name or service not known" in text or "nodename" in text or "getaddrinfo" in text:
        return "the host name does not resolve: check the host"
    if "timed out" in text or "timeout" in text:
        return "no answer in time: check the host, the port and any firewall"
    return "check the host, the port and the security setting"
