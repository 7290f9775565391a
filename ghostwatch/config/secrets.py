"""Passwords for IMAP and SMTP, resolved lazily from exactly one source.

Invariants:
- A ``Secret`` knows *where* a password lives, never prints *what* it is: ``repr`` and
  ``str`` show only the source (``Secret(source='env:GHOSTWATCH_IMAP_PASSWORD')``).
- Nothing is read until ``reveal()``; nothing is cached (a rotated password is picked up
  on the next connection). ``reveal()`` raises ``SecretError`` whose message names the
  source and the reason, never the secret or a command's standard output.

Sources, in the configuration of ``[accounts.imap]`` / ``[accounts.smtp]``:
``password`` (plain text), ``password_env`` (an environment variable), ``password_file``
(a file's text minus the trailing newline), ``password_command`` (standard output of a
command run without a shell, 10 s timeout), or, when none is given, the systemd credential
``$CREDENTIALS_DIRECTORY/<account>-imap`` / ``<account>-smtp`` (``LoadCredential=``).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import SecretStr

from ghostwatch.errors import SecretError

COMMAND_TIMEOUT_S = 10.0

SourceKind = Literal["password", "env", "file", "command", "credential"]


@dataclass(frozen=True, slots=True, repr=False)
class Secret:
    """Where one password lives. Build with the ``from_*`` class methods.

    ``where`` names the configuration location for messages (``"accounts[0].imap"``).
    """

    kind: SourceKind
    ref: str  # variable name, file path, credential name; "" for plain and command
    argv: tuple[str, ...] = ()
    plain: SecretStr | None = None
    where: str = ""

    @classmethod
    def from_password(cls, value: SecretStr, where: str = "") -> Secret:
        return cls("password", "", plain=value, where=where)

    @classmethod
    def from_env(cls, variable: str, where: str = "") -> Secret:
        return cls("env", variable, where=where)

    @classmethod
    def from_file(cls, path: Path, where: str = "") -> Secret:
        return cls("file", str(path), where=where)

    @classmethod
    def from_command(cls, argv: Sequence[str], where: str = "") -> Secret:
        return cls("command", "", argv=tuple(argv), where=where)

    @classmethod
    def from_credential(cls, name: str, where: str = "") -> Secret:
        return cls("credential", name, where=where)

    @property
    def source(self) -> str:
        """A printable description of the source: ``env:NAME``, ``file:PATH``,
        ``command:PROGRAM``, ``credential:NAME`` or ``password`` (plain, in the config)."""
        if self.kind == "password":
            return "password"
        if self.kind == "command":
            return f"command:{self.argv[0] if self.argv else ''}"
        return f"{self.kind}:{self.ref}"

    def __repr__(self) -> str:
        return f"Secret(source={self.source!r})"

    __str__ = __repr__

    def reveal(
        self, env: Mapping[str, str] | None = None, *, timeout_s: float = COMMAND_TIMEOUT_S
    ) -> str:
        """Return the password, reading its source now (``env`` defaults to ``os.environ``;
        a ``password_command`` is stopped after ``timeout_s``).

        Raise ``SecretError`` if the source is unset, unreadable, fails, or yields an
        empty password. The message never contains the password.
        """
        environ = os.environ if env is None else env
        if self.kind == "password":
            assert self.plain is not None
            value = self.plain.get_secret_value()
        elif self.kind == "env":
            value = self._from_env(environ)
        elif self.kind == "file":
            value = _read_file(Path(self.ref).expanduser(), self._label())
        elif self.kind == "command":
            value = _run_command(self.argv, self._label(), timeout_s)
        else:
            value = self._from_credential(environ)
        if not value:
            raise SecretError(f"{self._label()}: the password is empty")
        return value

    def _label(self) -> str:
        return f"{self.where} ({self.source})" if self.where else self.source

    def _from_env(self, environ: Mapping[str, str]) -> str:
        if self.ref not in environ:
            raise SecretError(f"{self._label()}: environment variable {self.ref} is not set")
        return environ[self.ref]

    def _from_credential(self, environ: Mapping[str, str]) -> str:
        directory = environ.get("CREDENTIALS_DIRECTORY", "")
        if not directory:
            raise SecretError(
                f"{self._label()}: no password configured: set one of password_env, "
                f"password_file, password_command or password, or pass the systemd "
                f"credential {self.ref!r} (LoadCredential={self.ref}:...)"
            )
        return _read_file(Path(directory) / self.ref, self._label())


def _read_file(path: Path, label: str) -> str:
    """Return the text of ``path`` minus one trailing newline; raise ``SecretError``."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SecretError(f"{label}: file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise SecretError(f"{label}: cannot read {path}: {reason}") from None
    return text.removesuffix("\n").removesuffix("\r")


def _run_command(argv: Sequence[str], label: str, timeout_s: float) -> str:
    """Run ``argv`` without a shell; return its standard output minus the trailing newline.

    Raise ``SecretError`` if it cannot start, times out or exits non-zero. The message may
    quote the first line of standard error, never standard output.
    """
    try:
        done = subprocess.run(
            list(argv),
            capture_output=True,
            text=True,
            timeout=timeout_s,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except FileNotFoundError:
        raise SecretError(f"{label}: command {argv[0]!r} not found") from None
    except subprocess.TimeoutExpired:
        raise SecretError(f"{label}: command timed out after {timeout_s:g} s") from None
    except OSError as exc:
        raise SecretError(f"{label}: command could not start: {exc.strerror}") from None
    if done.returncode != 0:
        first = next(iter(done.stderr.strip().splitlines()), "")[:200]
        detail = f": {first}" if first else ""
        raise SecretError(f"{label}: command exited with status {done.returncode}{detail}")
    return done.stdout.removesuffix("\n").removesuffix("\r")
