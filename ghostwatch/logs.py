"""structlog setup: readable console lines on a TTY, JSON lines otherwise (systemd).

Every event is a constant dotted name with key-value fields
(``log.info("nudge.sent", client=..., message_id=...)``). ``account`` and ``client``
are bound through contextvars by the daemon. A last-line-of-defence processor masks
any field whose name says it holds a secret.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
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


def configure(
    *, level: str = "info", stream: TextIO | None = None, json: bool | None = None
) -> None:
    """Configure structlog for the process. ``json=None`` picks JSON unless ``stream``
    is a TTY. Safe to call more than once (the last call wins)."""
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
        structlog.processors.JSONRenderer(ensure_ascii=False)
        if use_json
        else structlog.dev.ConsoleRenderer(colors=out.isatty())
    )
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
