"""systemd readiness and watchdog notifications (``Type=notify``, ``WatchdogSec=``).

The protocol is one datagram per message to ``$NOTIFY_SOCKET`` (a path, or an
abstract socket written with a leading ``@``); outside systemd the variable is unset
and every call is a no-op. The watchdog interval comes from ``$WATCHDOG_USEC`` and
applies only to the process named by ``$WATCHDOG_PID`` when that is set. Failures to
notify are logged, never raised: a missing supervisor must not stop the service.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Mapping

import structlog

log = structlog.get_logger(__name__)


class Notifier:
    """Speaks sd_notify(3). Construct from the environment (default) or a mapping."""

    def __init__(self, env: Mapping[str, str] | None = None, *, pid: int | None = None) -> None:
        env = os.environ if env is None else env
        address = env.get("NOTIFY_SOCKET", "")
        # An abstract socket is written with a leading "@" and addressed with a NUL.
        self._address = "\0" + address[1:] if address.startswith("@") else address
        self.watchdog_s = _watchdog_s(env, os.getpid() if pid is None else pid)

    @property
    def enabled(self) -> bool:
        return bool(self._address)

    def send(self, *fields: str) -> bool:
        """Send ``KEY=VALUE`` fields in one datagram; return False if not delivered."""
        if not self._address:
            return False
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
                sock.connect(self._address)
                sock.sendall("\n".join(fields).encode())
        except OSError as exc:
            log.warning("notify.failed", error=str(exc))
            return False
        return True

    def ready(self, status: str) -> None:
        self.send("READY=1", f"STATUS={status}")

    def watchdog(self) -> None:
        if self.watchdog_s is not None:
            self.send("WATCHDOG=1")

    def status(self, status: str) -> None:
        self.send(f"STATUS={status}")

    def stopping(self) -> None:
        self.send("STOPPING=1")

    def reloading(self) -> None:
        # systemd >= 253 wants the monotonic time of the reload with RELOADING=1.
        usec = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
        self.send("RELOADING=1", f"MONOTONIC_USEC={usec}")


def _watchdog_s(env: Mapping[str, str], pid: int) -> float | None:
    """The watchdog interval in seconds, or None when no watchdog applies to ``pid``."""
    usec, owner = env.get("WATCHDOG_USEC", ""), env.get("WATCHDOG_PID", "")
    if not usec.isdigit() or int(usec) == 0:
        return None
    if owner and (not owner.isdigit() or int(owner) != pid):
        return None
    return int(usec) / 1e6


__all__ = ["Notifier"]
