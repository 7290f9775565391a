"""``ghostwatch run`` with several accounts: each is cycled on its own.

A real daemon process against real Dovecot (a mailbox per account) and aiosmtpd, on
both stores. Logins are counted in Dovecot's own log, not by patching anything: a
wake-up on one account must not log in to the others (issue 17: every wake-up used
to run a cycle over every account, one login each), and a nudge due on one account
goes out at its time while another account's send hangs.
"""

from __future__ import annotations

import re
import signal
import textwrap
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.integration.test_service import STOP_WITHIN_S, Daemon, wait_until
from tests.support.scenario import Scenario, client_toml, mail

# Tuesday 10 November 2026, 10:00 UTC: inside the 09:00-17:00 send window.
NOW = datetime(2026, 11, 10, 10, 0, tzinfo=UTC)
HANG_S = 90
LATER_S = 15  # account B's check-in falls due this long after the daemon starts


class Accounts(Scenario):
    """One account per Dovecot mailbox in ``boxes`` (a0, a1, ...), clients as given."""

    boxes: list[Any]
    poll: str = "10m"  # only a wake-up or a due instant can explain a cycle
    smtp_timeout: str = "30s"

    def write(self) -> Path:
        parts = [f'[database]\nurl = "{self.url}"\n\n[rules]\nsend_window = "09:00-17:00"\n']
        for k, box in enumerate(self.boxes):
            parts.append(
                textwrap.dedent(f"""
                [[accounts]]
                name = "a{k}"
                address = "me{k}@studio.example"
                timezone = "UTC"
                poll_interval = "{self.poll}"

                [accounts.imap]
                host = "{box.host}"
                port = {box.port}
                security = "none"
                username = "{box.user}"
                password = "secret"

                [accounts.smtp]
                host = "127.0.0.1"
                port = {self.smtp_port}
                security = "none"
                username = ""
                timeout = "{self.smtp_timeout}"
                """)
            )
        self.config_path.write_text("\n".join(parts) + "\n" + self.clients, encoding="utf-8")
        return self.config_path


def logins(box: Any) -> int:
    """Successful IMAP logins of ``box``'s user, from Dovecot's own log."""
    text = (box.server.root / "dovecot.log").read_text(errors="replace")
    return len(re.findall(rf"imap-login: (?:Info: )?Login: user=<{re.escape(box.user)}>,", text))


def thread(box: Any, k: int, client: str, at: datetime) -> str:
    """Our message to ``client`` of account k, sent at ``at``; return its TOML."""
    me, address = f"me{k}@studio.example", f"{client}@{client}.example"
    raw = mail(me, address, f"Project {client}", message_id=f"<{client}@studio>", date=at)
    box.append("Sent", raw, internal_date=at)
    return client_toml(client, [address], account=f'"a{k}"')


@pytest.fixture
def accounts(
    tmp_path: Path, imap_account_factory: Callable[[], Any], smtp_server: Any, database_url: str
) -> Callable[[int], Accounts]:
    def make(n: int) -> Accounts:
        boxes = [imap_account_factory() for _ in range(n)]
        scenario = Accounts(
            tmp_path, boxes[0].host, boxes[0].port, boxes[0].user, smtp_server.port,
            database_url=database_url,
        )  # fmt: skip
        scenario.boxes = boxes
        return scenario

    return make


def _synced(daemon: Daemon, n: int) -> Callable[[], bool]:
    """True once ``n`` account syncs are over and ``n`` watchers idle."""
    return lambda: len(daemon.named("sync.done")) >= n and len(daemon.named("watch.idling")) >= n


def test_a_wake_up_on_one_account_logs_in_to_no_other(
    accounts: Callable[[int], Accounts], daemons: Any, capsys: Any
) -> None:
    scenario = accounts(3)
    boxes = scenario.boxes
    day_ago = NOW - timedelta(days=1)  # nothing is due for six days
    scenario.clients = "".join(thread(b, k, f"c{k}", day_ago) for k, b in enumerate(boxes))
    daemon = daemons(scenario, NOW)
    wait_until(_synced(daemon, 3), timeout=60)
    time.sleep(1.0)  # let the last cycle log out of nothing (it keeps its connection)
    before = [logins(b) for b in boxes]
    cycles, syncs = len(daemon.named("cycle.done")), len(daemon.named("sync.done"))

    for i in range(3):  # a burst of replies on a0 only
        at = NOW - timedelta(minutes=30 - i)
        raw = mail("c0@c0.example", "me0@studio.example", "Re: Project c0",
                   message_id=f"<r{i}@c0>", date=at, in_reply_to="<c0@studio>")  # fmt: skip
        boxes[0].append("INBOX", raw, internal_date=at)
    wait_until(
        lambda: scenario.row(daemon.sim_now(), capsys, "c0")["waiting_on"] == "you", timeout=15
    )
    time.sleep(2.0)  # any cycle of the others the burst would cause happens now
    assert [logins(b) for b in boxes] == before  # a0 over its kept connection, none else
    woken = daemon.named("cycle.done")[cycles:]
    assert woken and all(e["accounts"] == 1 for e in woken)
    assert len(woken) <= 3  # the burst was coalesced, never one cycle per account
    assert {e.get("account") for e in daemon.named("sync.done")[syncs:]} == {"a0"}
    daemon.signal(signal.SIGTERM)
    assert daemon.wait(STOP_WITHIN_S) == 0


def test_a_due_nudge_on_b_goes_out_at_its_time_while_a_send_of_a_hangs(
    accounts: Callable[[int], Accounts], daemons: Any, smtp_server: Any
) -> None:
    scenario = accounts(2)
    a, b = scenario.boxes
    scenario.clients = thread(a, 0, "alpha", NOW - timedelta(days=8)) + thread(
        b, 1, "beta", NOW - timedelta(days=7) + timedelta(seconds=LATER_S)
    )
    scenario.smtp_timeout = f"{HANG_S + 30}s"  # the hang is not cut short by a timeout
    smtp_server.delay_next(HANG_S)  # alpha's check-in reaches the server; its reply waits
    daemon = daemons(scenario, NOW)
    wait_until(lambda: _to(smtp_server, "alpha@alpha.example"), timeout=60)
    assert not _to(smtp_server, "beta@beta.example")

    # beta's check-in is due LATER_S after the start: it goes out while alpha's send
    # hangs (a cycle over both accounts would hold it until alpha's ends, after HANG_S)
    wait_until(lambda: _to(smtp_server, "beta@beta.example"), timeout=LATER_S + 40)

    def statuses() -> dict[str, str]:
        with scenario.db() as db:
            return dict(db.execute("SELECT client, status FROM outbox").fetchall())

    # the server has the message a moment before the daemon has its answer and records it
    wait_until(lambda: statuses().get("beta") == "sent", timeout=30)
    assert statuses() == {"alpha": "sending", "beta": "sent"}
    daemon.signal(signal.SIGTERM)
    assert daemon.wait(STOP_WITHIN_S + 5) == 0
    assert [m.rcpt_tos for m in smtp_server.messages] == [
        ["alpha@alpha.example"],
        ["beta@beta.example"],
    ]


def _to(smtp: Any, address: str) -> bool:
    return any(m.rcpt_tos == [address] for m in smtp.messages)
