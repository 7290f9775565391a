"""A lost database: ghostwatch finds its own nudges in Sent and carries on where it was
(real Dovecot, real aiosmtpd, the real command line)."""

from __future__ import annotations

from typing import Any

from tests.integration.test_nudges import ACME, DAY, T0, received, start_thread
from tests.support.scenario import Scenario, client_toml

GLOBEX = client_toml(
    "Globex",
    ["ap@globex.example"],
    invoices='[{ number = "G-1", amount = "10 EUR", due = "2026-11-02" }, '
    '{ number = "G-2", amount = "20 EUR", due = "2026-11-02" }]',
)


def lose_the_database(scenario: Scenario) -> None:
    for suffix in ("", "-wal", "-shm"):
        (scenario.directory / f"gw.db{suffix}").unlink(missing_ok=True)


def test_after_the_database_is_lost_no_ladder_starts_again(
    scenario: Scenario, imap_server: Any, smtp_server: Any, capsys: Any
) -> None:
    scenario.clients = ACME + GLOBEX
    start_thread(imap_server)
    assert scenario.once(T0 + 7 * DAY) == 0  # Acme's check-in; Globex's one reminder for two
    assert scenario.once(T0 + 14 * DAY) == 0  # Acme's closing notice; Globex work paused
    before = [(m["To"], m["Subject"]) for m in received(smtp_server)]
    assert len(before) == 4

    lose_the_database(scenario)
    assert scenario.once(T0 + 15 * DAY) == 0
    assert [(m["To"], m["Subject"]) for m in received(smtp_server)] == before  # nothing new
    acme = scenario.row(T0 + 15 * DAY, capsys, "Acme Ltd")
    assert (acme["state"], acme["step"]) == ("nudged", 2)
    assert scenario.row(T0 + 15 * DAY, capsys, "Globex")["state"] == "paused"
    with scenario.db() as db:
        slots = db.execute("SELECT client, ladder, step FROM outbox_slot ORDER BY 1, 2, 3")
        assert slots.fetchall() == [
            ("Acme Ltd", "silence", 1),
            ("Acme Ltd", "silence", 2),
            ("Globex", "invoice:G-1", 1),
            ("Globex", "invoice:G-1", 2),
            ("Globex", "invoice:G-2", 1),
            ("Globex", "invoice:G-2", 2),
        ]

    # the closing notice named day 21: ghosted after it, and ghosted stays ghosted
    assert scenario.once(T0 + 22 * DAY) == 0
    lose_the_database(scenario)
    assert scenario.once(T0 + 23 * DAY) == 0
    assert scenario.row(T0 + 23 * DAY, capsys, "Acme Ltd")["state"] == "ghosted"
    assert len(received(smtp_server)) == 4
