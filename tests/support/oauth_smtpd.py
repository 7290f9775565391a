"""An aiosmtpd SMTP server on loopback that requires SASL XOAUTH2 (as Gmail's and
Microsoft 365's submission servers do), for tests.

The tokens are the Dovecot rig's (``OAuthIntrospection``): one token authority for
IMAP and SMTP, so a test can log in to both with one token and revoke it for both.
A refused token gets what Gmail sends: a ``334`` challenge carrying a base64 JSON
error, then ``535`` once the client answers with an empty line.
"""

from __future__ import annotations

import base64
import json
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

HOST = "127.0.0.1"


def xoauth2_fields(raw: bytes) -> tuple[str, str] | None:
    """Return (user, token) of an XOAUTH2 initial response (``user=U^Aauth=Bearer T^A^A``)."""
    parts = dict(p.split("=", 1) for p in raw.decode("utf-8", "replace").split("\x01") if "=" in p)
    user, auth = parts.get("user"), parts.get("auth", "")
    if not user or not auth.startswith("Bearer "):
        return None
    return user, auth.removeprefix("Bearer ")


class _XOAuthSMTP(SMTP):
    async def auth_XOAUTH2(self, _: Any, args: list[str]) -> AuthResult:
        raw = base64.b64decode(args[1]) if len(args) > 1 else b""
        found = xoauth2_fields(raw)
        if found is not None:
            login = LoginPassword(found[0].encode(), found[1].encode())
            result = self._authenticate("XOAUTH2", login)
            if result.success:
                return result
        error = json.dumps({"status": "401", "schemes": "bearer", "scope": "mail"})
        await self.challenge_auth(error)  # the client answers with an empty line
        return AuthResult(success=False, handled=False)


@dataclass
class OAuthSmtpServer:
    """Accepts a login only when ``valid(user, token)``; records accepted messages."""

    valid: Callable[[str, str], bool]
    messages: list[Envelope] = field(default_factory=list)
    logins: list[tuple[str, bool]] = field(default_factory=list)  # (user, accepted)

    def __post_init__(self) -> None:
        owner = self

        class Handler:
            async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
                owner.messages.append(envelope)
                return "250 2.0.0 OK"

        def authenticator(
            server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
        ) -> AuthResult:
            ok = isinstance(data, LoginPassword) and mechanism == "XOAUTH2"
            user = data.login.decode() if ok else ""
            ok = ok and owner.valid(user, data.password.decode())
            owner.logins.append((user, ok))
            return AuthResult(success=ok, handled=False)

        class Control(Controller):
            def factory(self) -> SMTP:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", UserWarning)  # AUTH without TLS: loopback
                    return _XOAuthSMTP(self.handler, **self.SMTP_kwargs)

        self._controller = Control(
            Handler(),
            hostname=HOST,
            port=0,
            ready_timeout=10,
            authenticator=authenticator,
            auth_required=True,
            auth_require_tls=False,
            auth_exclude_mechanism=["PLAIN", "LOGIN"],
        )

    @property
    def port(self) -> int:
        return int(self._controller.port)

    def start(self) -> OAuthSmtpServer:
        self._controller.port = _free_port()
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


__all__ = ["OAuthSmtpServer", "xoauth2_fields"]
