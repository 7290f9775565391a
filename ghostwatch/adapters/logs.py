"""structlog setup: readable console lines on a TTY, JSON lines otherwise (systemd).

Every event is a constant dotted name with key-value fields
(``log.info("nudge.sent", client=..., message_id=...)``). ``account`` and ``client``
are bound through contextvars by the daemon. A last-line-of-defence processor masks
any field whose name says it holds a secret.

Under systemd (``$JOURNAL_STREAM`` names the very stream we write to), each line starts
with its syslog priority, ``<3>`` for an error (sd-daemon(3)'s ``SD_ERR`` prefix, which
journald strips and stores as ``PRIORITY``), so ``journalctl -p err`` finds errors.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping, MutableMapping
from datetime import date, datetime
from typing import Any, TextIO

import structlog

_SECRET_WORDS = ("password", "secret", "token", "credential", "auth")
MASK = "********"


def redact_secrets(
    _logger: Any, _method: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """Mask the value of any field whose name contains a secret-sounding word."""
    for key in list(event):
        if any(word in key.lower() for word in _SECRET_WORDS) and event[key] is not None:
            event[key] = MASK
    return event


# syslog(3) priorities of structlog's level names
PRIORITY = {"critical": 2, "exception": 3, "error": 3, "warning": 4, "info": 6, "debug": 7}


def json_value(value: Any) -> Any:
    """What the JSON renderer writes for a value JSON has no type for: a date or an
    instant as ISO-8601 ("2026-12-01"), as everywhere else in ghostwatch's output;
    anything else as its repr (structlog's own fallback)."""
    if isinstance(value, date | datetime):
        return value.isoformat()
    return repr(value)


def writes_to_journal(stream: TextIO, env: Mapping[str, str]) -> bool:
    """True if ``stream`` is the journal stream systemd names in ``$JOURNAL_STREAM``
    (``DEVICE:INODE``, systemd.exec(5)): a redirected stderr under systemd is not."""
    expected = env.get("JOURNAL_STREAM", "")
    if not expected:
        return False
    try:
        st = os.fstat(stream.fileno())
    except (OSError, ValueError, AttributeError):  # a StringIO or a closed stream
        return False
    return expected == f"{st.st_dev}:{st.st_ino}"


def with_priority(renderer: Any) -> Any:
    """Wrap a structlog renderer so each line starts with ``<N>``, its syslog priority."""

    def render(logger: Any, method: str, event: MutableMapping[str, Any]) -> str:
        level = str(event.get("level", method)).lower()
        return f"<{PRIORITY.get(level, 6)}>{renderer(logger, method, event)}"

    return render


def configure(
    *,
    level: str = "info",
    stream: TextIO | None = None,
    json: bool | None = None,
    env: Mapping[str, str] | None = None,
) -> None:
    """Configure structlog for the process. ``json=None`` picks JSON unless ``stream``
    is a TTY; lines carry a ``<N>`` priority prefix when ``stream`` is the journal
    (``writes_to_journal(stream, env)``, ``env`` defaults to ``os.environ``). Safe to
    call more than once (the last call wins)."""
    out = stream if stream is not None else sys.stderr
    use_json = not out.isatty() if json is None else json
    # Without an explicit stream, look sys.stderr up at each write: it may be replaced
    # after configuration (a test runner's capture, a daemon's redirection).
    factory: Any = (
        structlog.PrintLoggerFactory(stream)
        if stream is not None
        else (lambda *_args: structlog.PrintLogger(sys.stderr))
    )
    renderer: Any = (
        structlog.processors.JSONRenderer(ensure_ascii=False, default=json_value)
        if use_json
        else structlog.dev.ConsoleRenderer(colors=out.isatty())
    )
    if writes_to_journal(out, os.environ if env is None else env):
        renderer = with_priority(renderer)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            redact_secrets,
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelNamesMapping()[level.upper()]
        ),
        logger_factory=factory,
        cache_logger_on_first_use=False,
    )
    # mail-parser warns through stdlib logging about every MIME part it does not render
    # ("Email content 'report' not handled"): noise for a mail tool reading bounces
    logging.getLogger("mailparser").setLevel(logging.ERROR)
