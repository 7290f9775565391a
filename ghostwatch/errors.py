"""One exception hierarchy for ghostwatch.

Adapters translate library exceptions at the boundary into these classes, so the
daemon can tell a passing fault (retry with backoff) from a permanent one (report
and stop trying). The command line maps them to exit codes: ConfigError -> 2,
any other GhostwatchError -> 1.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from os import PathLike


class GhostwatchError(Exception):
    """Base class of every error ghostwatch raises on purpose."""


class ConfigError(GhostwatchError):
    """The configuration is invalid. ``problems`` holds every problem, one line each."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


@contextmanager
def cannot_write(path: str | PathLike[str]) -> Iterator[None]:
    """Turn an OSError in the block (a missing folder, a directory, no permission) into
    a ConfigError "cannot write PATH: REASON": an output path the user named is bad
    usage (exit 2), one line, never a traceback. Wrap only the writing itself, so a
    network or server error elsewhere keeps its own class."""
    try:
        yield
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ConfigError([f"cannot write {path}: {reason}"]) from None


class SecretError(GhostwatchError):
    """A secret could not be resolved. The message never contains the secret."""


class TemplateError(GhostwatchError):
    """A template is missing, malformed or failed to render."""


class StoreError(GhostwatchError):
    """The database could not be opened, migrated or written."""


class TransientError(GhostwatchError):
    """A fault that may pass: retry with backoff (timeouts, 4xx, dropped connections)."""


class PermanentError(GhostwatchError):
    """A fault that will not pass by retrying (5xx, authentication refused)."""


class MailboxError(TransientError):
    """The IMAP server could not be reached or read."""


class MailboxAuthError(PermanentError):
    """The IMAP server refused the credentials."""


class SendError(GhostwatchError):
    """Base class for SMTP failures."""


class SendRetryable(SendError, TransientError):
    """The message was certainly not accepted (connection error or 4xx before DATA ended)."""


class SendRejected(SendError, PermanentError):
    """The server refused the message with a 5xx reply: do not retry."""


class SendAuthError(SendError, PermanentError):
    """The SMTP server refused the credentials: an account problem, not a nudge problem.

    The nudge was not sent and stays planned; the account's error is reported.
    """


class SendTlsError(SendError, PermanentError):
    """The SMTP server's certificate could not be verified: an account problem.

    Nothing was sent; the nudge stays planned and the account's error is reported
    (``once`` exits 1). Retrying will not help until the certificate or ``ca_file`` is fixed.
    """


class SendOutcomeUnknown(SendError):
    """The connection failed after DATA was sent: the message may have been accepted.

    Never resend blindly: resolve by looking for the Message-ID in the Sent folder.
    """
