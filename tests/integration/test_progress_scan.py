"""Issue 18 acceptance: a scan of 30,000 messages shows a progress bar on a terminal
(the real ``ghostwatch once`` under ``script``, which gives it a pseudo-terminal) and,
without one, logs ``sync.progress`` events (the real App against the real Dovecot,
its progress made through the composition root with a short interval)."""

from __future__ import annotations

import io
import os
import re
import shlex
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import structlog

from ghostwatch.adapters.progress import ScanProgress
from ghostwatch.app.bootstrap import App
from ghostwatch.config.loader import load_config

pytestmark = [pytest.mark.dovecot, pytest.mark.slow, pytest.mark.usefixtures("every_log_level")]

MESSAGES = 30_000  # the figure
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def messages(count: int) -> Iterator[tuple[bytes, datetime]]:
    """Small plain messages, one in ten from the client (kept), the rest from others."""
    for i in range(count):
        when = NOW - timedelta(days=60) + timedelta(minutes=2 * i)
        sender = "jane@acme.example" if i % 10 == 0 else f"news{i % 97}@lists.example"
        raw = (
            f"From: {sender}\r\nTo: me@studio.example\r\nSubject: note {i}\r\n"
            f"Date: {when.strftime('%a, %d %b %Y %H:%M:%S +0000')}\r\n"
            f"Message-ID: <m{i}@scan.example>\r\n\r\nHello {i}\r\n"
        )
        yield raw.encode(), when


@pytest.fixture
def big_inbox(imap_server: Any, tmp_path: Path) -> Path:
    """A 30,000-message INBOX and a config (draft mode, no summary) that reads it."""
    assert imap_server.write_maildir("INBOX", messages(MESSAGES)) == MESSAGES
    config = tmp_path / "config.toml"
    config.write_text(
        textwrap.dedent(
            f"""
            [database]
            url = "sqlite:///{tmp_path / "gw.db"}"

            [[accounts]]
            name = "studio"
            address = "me@studio.example"
            timezone = "UTC"
            mode = "draft"
            initial_scan = "90d"
            [accounts.imap]
            host = "{imap_server.host}"
            port = {imap_server.port}
            security = "none"
            username = "{imap_server.user}"
            password = "secret"

            [summary]
            enabled = false

            [[clients]]
            name = "Acme"
            emails = ["jane@acme.example"]
            """
        ),
        encoding="utf-8",
    )
    return config


SCRIPT = shutil.which("script")


@pytest.mark.skipif(SCRIPT is None, reason="needs script(1) from util-linux")
def test_a_scan_on_a_terminal_shows_a_progress_bar(big_inbox: Path) -> None:
    command = [sys.executable, "-m", "ghostwatch", "--config", str(big_inbox), "once"]
    command += ["--now", NOW.isoformat(), "--dry-run"]
    env = dict(os.environ, COLUMNS="120", TERM="xterm")
    done = subprocess.run(
        [str(SCRIPT), "-qec", shlex.join(command), "/dev/null"],
        capture_output=True,
        timeout=300,
        env=env,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    shown = done.stdout.decode(errors="replace")
    assert done.returncode == 0, shown[-2000:]
    # "studio INBOX:  45%|████▌     | 13500/30000 [00:02<00:03, 6000.00msg/s]"
    bar = re.compile(
        rf"studio INBOX:\s+(\d+)%\|.*?\| (\d+)/{MESSAGES} \[[\d:]+<[\d:]+, *[\d.]+msg/s\]"
    )
    bars = bar.findall(shown)
    assert len(bars) >= 2, repr(shown[:3000])  # it moves: messages, rate, time left
    assert bars[-1] == ("100", str(MESSAGES))


async def test_a_scan_without_a_terminal_logs_sync_progress(
    big_inbox: Path, imap_server: Any
) -> None:
    app = App.open(load_config(big_inbox), clock=lambda: NOW)
    # through the composition root: not a terminal, an event at every batch
    app.progress = ScanProgress(io.StringIO(), tty=False, every_s=0.0)
    try:
        with structlog.testing.capture_logs() as logs:
            report = await app.cycle(NOW, dry_run=True)
    finally:
        app.close()
    assert report.ok
    events = [e for e in logs if e["event"] == "sync.progress"]
    assert len(events) >= MESSAGES // 1000  # one per batch of 1,000, and a final one
    assert all(e["account"] == "studio" and e["folder"] == "INBOX" for e in events)
    assert [e["done"] for e in events][:3] == [1000, 2000, 3000]
    assert events[-1]["done"] == MESSAGES and events[-1]["finished"] is True
    assert all(e["total"] == MESSAGES and e["rate_per_s"] > 0 for e in events)
    # the next cycle reads one new message: an incremental poll shows no progress
    raw, when = next(messages(1))
    imap_server.append("INBOX", raw.replace(b"<m0@", b"<new@"), internal_date=when)
    app = App.open(load_config(big_inbox), clock=lambda: NOW)
    app.progress = ScanProgress(io.StringIO(), tty=False, every_s=0.0)
    try:
        with structlog.testing.capture_logs() as logs:
            report = await app.cycle(NOW, dry_run=True)
    finally:
        app.close()
    assert report.ok
    assert report.accounts[0].sync is not None
    assert sum(f.fetched for f in report.accounts[0].sync.folders) == 1
    assert [e for e in logs if e["event"] == "sync.progress"] == []
