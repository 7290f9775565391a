"""Bench plumbing for ``ghostwatch run``: the test rig's Dovecot and aiosmtpd, a real
config (tests/support/scenario.py), and the daemon as a subprocess whose JSON log
events are collected by a reader thread."""

from __future__ import annotations

import contextlib
import json
import signal
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import _common  # puts the repository on sys.path

from tests.support.scenario import ACCOUNT, Scenario, client_toml, iso, mail
from tests.support.smtpd import SmtpTestServer


@contextlib.contextmanager
def rig(clients: int, *, account_extra: str = "") -> Iterator[tuple[Scenario, Any, Any]]:
    """Yield (scenario, dovecot server, mailbox) with ``clients`` clients configured."""
    smtp = SmtpTestServer().start()
    try:
        with _common.dovecot() as server, tempfile.TemporaryDirectory(prefix="gw-bench-") as d:
            box = server.new_account("bench")
            scenario = Scenario(
                directory=Path(d),
                imap_host=server.host,
                imap_port=server.port,
                imap_user=box.user,
                smtp_port=smtp.port,
                account_extra=account_extra,
                clients="".join(
                    client_toml(f"Client {i}", [f"c{i}@client{i}.example"]) for i in range(clients)
                ),
            )
            try:
                yield scenario, server, box
            finally:
                box.close()
    finally:
        smtp.stop()


def start_threads(box: Any, clients: int, at: datetime) -> None:
    """Our last message to every client, at ``at`` (so nothing is due for a week)."""
    for i in range(clients):
        raw = mail(ACCOUNT, f"c{i}@client{i}.example", "Drafts", message_id=f"<m{i}@s>", date=at)
        box.append("Sent", raw, internal_date=at)


def client_reply(box: Any, i: int, at: datetime, mid: str) -> None:
    raw = mail(f"c{i}@client{i}.example", ACCOUNT, "Re: Drafts", message_id=mid, date=at)
    box.append("INBOX", raw, internal_date=at)


class Daemon:
    """``ghostwatch --log-level info run --now T`` as a subprocess."""

    def __init__(self, scenario: Scenario, now: datetime) -> None:
        self.proc = scenario.subprocess(["--log-level", "info", "run", "--now", iso(now)])
        self.events: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for raw in self.proc.stderr:
            with contextlib.suppress(ValueError), self._lock:
                self.events.append(json.loads(raw))

    def count(self, name: str) -> int:
        with self._lock:
            return sum(1 for e in self.events if e.get("event") == name)

    def wait_for(self, name: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while self.count(name) == 0:
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError(f"daemon never logged {name!r}")
            time.sleep(0.05)

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=15)
        except Exception:
            self.proc.kill()
            code = self.proc.wait()
        self._reader.join(timeout=5)
        for pipe in (self.proc.stdout, self.proc.stderr):
            if pipe is not None:
                pipe.close()
        return code
