"""``ghostwatch.adapters.net``: the network facts behind a refused login or connection.

Proves, beyond the hint tables in tests/unit/adapters/test_auth_backoff.py and the
loopback list in tests/unit/config/test_loader.py: only a loopback host may go without
TLS (a trailing dot or case does not change that; a look-alike name does); the TLS
context always verifies and refuses a CA file it cannot read; a refused login's advice
is decided by the server's own words first, then the auth method, then the provider
(matched on whole host labels only); a failed connection's hint puts a certificate
first, a port/security mismatch next, and otherwise reads the error.
"""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest

from ghostwatch.adapters.net import (
    PASSWORD,
    LoginAdvice,
    connection_hint,
    is_loopback,
    login_advice,
    tls_context,
)


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("LOCALHOST.", True),
        ("127.255.255.254", True),
        ("[::1]", True),
        ("", False),
        ("128.0.0.1", False),
        ("localhost6.example", False),
        ("127.0.0.1.example.com", False),
    ],
)
def test_only_a_loopback_host_counts_as_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_the_tls_context_always_verifies_the_server() -> None:
    context = tls_context(None)
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname


def test_a_ca_file_that_is_missing_or_no_certificate_is_refused(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        tls_context(str(tmp_path / "missing.pem"))
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate\n")
    with pytest.raises(ssl.SSLError):
        tls_context(str(junk))


GMAIL = LoginAdvice("app_password", (("provider", "Gmail"),))


@pytest.mark.parametrize(
    ("host", "auth", "reply", "advice"),
    [
        ("IMAP.GMAIL.COM.", "password", "", GMAIL),  # case and a trailing dot
        ("smtp.googlemail.com", "password", "", GMAIL),
        ("gmail.com", "password", "", GMAIL),  # the tail itself
        ("evilgmail.com", "password", "", PASSWORD),  # not a label of gmail.com
        ("outlook.com.example.net", "password", "", PASSWORD),
        ("smtp-mail.outlook.com", "password", "", LoginAdvice("microsoft")),
        ("imap.gmail.com", "xoauth2", "", LoginAdvice("token")),  # auth before host
        ("imap.gmail.com", "xoauth2", "IMAP is disabled", LoginAdvice("imap_off")),
        ("imap.example.com", "password", "IMAP not enabled", LoginAdvice("imap_off")),
        ("imap.example.com", "password", "account disabled", PASSWORD),  # not IMAP's
    ],
)  # fmt: skip
def test_a_refused_login_gets_the_advice_its_cause_calls_for(
    host: str, auth: str, reply: str, advice: LoginAdvice
) -> None:
    assert login_advice(host, auth, reply) == advice


def test_the_advice_reads_as_words_naming_the_provider() -> None:
    words = str(login_advice("imap.fastmail.com"))
    assert "Fastmail wants an app password" in words and "{" not in words


@pytest.mark.parametrize(
    ("protocol", "security", "port", "error", "expected"),
    [
        ("imap", "tls", 143, "timed out", 'security = "starttls" (or port 993)'),
        ("smtp", "tls", 25, "", 'security = "starttls" (or port 465)'),
        ("smtp", "starttls", 465, "refused", 'port 465 speaks TLS from the start'),
        ("imap", "tls", 143, "certificate verify failed", "ca_file"),  # cert first
        ("imap", "tls", 993, "[SSL] record layer failure", "does not speak the configured"),
        ("smtp", "starttls", 587, "STARTTLS extension not supported", "does not speak"),
        ("imap", "tls", 993, "nodename nor servname provided", "does not resolve"),
        ("imap", "tls", 993, "[Errno 11001] getaddrinfo failed", "does not resolve"),
        ("smtp", "tls", 465, "TimeoutError", "no answer in time"),
        ("imap", "tls", 993, "Broken pipe", "check the host, the port and the security"),
    ],
)  # fmt: skip
def test_a_failed_connection_is_explained_by_its_most_telling_fact(
    protocol: str, security: str, port: int, error: str, expected: str
) -> None:
    assert expected in connection_hint(protocol, security, port, error)
