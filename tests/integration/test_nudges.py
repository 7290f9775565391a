"""Nudges end to end: real Dovecot, real aiosmtpd, the real command line, time by --now."""

from __future__ import annotations

import signal
import time
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from typing import Any

import pytest

from tests.support.scenario import ACCOUNT, Scenario, client_toml, iso, mail

T0 = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)  # Monday: our message to Acme
DAY = timedelta(days=1)
ACME = client_toml("Acme Ltd", ["jane@acme.example"], ["acme.example"])


def start_thread(
    imap: Any, *, to: str = "jane@acme.example", subject: str = "Logo drafts", at: datetime = T0
) -> None:
    raw = mail(ACCOUNT, to, subject, message_id="<m1@studio>", date=at)
    imap.append("Sent", raw, internal_date=at)


def reply(imap: Any, at: datetime, mid: str = "<r1@acme>") -> None:
    raw = mail(
        "Jane <jane@acme.example>",
        ACCOUNT,
        "Re: Logo drafts",
        message_id=mid,
        date=at,
        in_reply_to="<m1@studio>",
    )
    imap.append("INBOX", raw, internal_date=at)


def received(smtp: Any) -> list[Any]:
    """The nudges the SMTP server received (the daily summary, to ourselves, left out)."""
    return [
        message_from_bytes(m.raw, policy=policy.default)
        for m in smtp.messages
        if m.rcpt_tos != [ACCOUNT]
    ]


def outbox(scenario: Scenario) -> list[tuple[str, int, str]]:
    with scenario.db() as db:
        return db.execute("SELECT template, step, status FROM outbox ORDER BY id").fetchall()


def test_the_default_ladder_end_to_end(
    scenario: Scenario, imap_server: Any, smtp_server: Any, capsys: Any
) -> None:
    scenario.clients = ACME
    start_thread(imap_server)
    assert scenario.once(T0 + 6 * DAY) == 0  # day 6 (Sunday): nothing
    assert received(smtp_server) == []

    assert scenario.once(T0 + 7 * DAY) == 0  # day 7, Monday 10:00: check-in
    [check_in] = received(smtp_server)
    assert check_in["To"] == "jane@acme.example"
    assert check_in["Subject"] == "Re: Logo drafts"
    assert check_in["In-Reply-To"] == "<m1@studio>"
    assert "<m1@studio>" in check_in["References"]
    assert [m.rcpt_tos for m in smtp_server.messages if m.rcpt_tos != [ACCOUNT]] == [
        ["jane@acme.example"]
    ]
    row = scenario.row(T0 + 7 * DAY, capsys, "Acme Ltd")
    assert (row["state"], row["step"]) == ("nudged", 1)
    assert row["next_action"] == {
        "kind": "closing_notice",
        "at": iso(T0 + 14 * DAY).replace("+00:00", "Z"),
        "reason": row["next_action"]["reason"],
    }

    assert scenario.once(T0 + 10 * DAY) == 0  # nothing between the steps
    assert len(received(smtp_server)) == 1
    assert scenario.once(T0 + 14 * DAY) == 0  # closing notice
    closing = received(smtp_server)[1]
    assert closing["Subject"] == "Re: Logo drafts"
    assert "close" in closing.get_content().lower()

    # the closing notice named day 21: ghosted once that day is over, nothing sent
    assert scenario.once(T0 + 21 * DAY) == 0
    assert scenario.row(T0 + 21 * DAY, capsys, "Acme Ltd")["state"] == "nudged"
    assert scenario.once(T0 + 22 * DAY) == 0
    assert len(received(smtp_server)) == 2
    assert scenario.row(T0 + 22 * DAY, capsys, "Acme Ltd")["state"] == "ghosted"
    for later in (23, 40, 400):
        assert scenario.once(T0 + later * DAY) == 0
    assert len(received(smtp_server)) == 2
    assert [s for _, _, s in outbox(scenario)] == ["sent", "sent"]


def test_a_reply_at_any_point_stops_the_ladder(
    scenario: Scenario, imap_server: Any, smtp_server: Any, capsys: Any
) -> None:
    scenario.clients = ACME
    start_thread(imap_server)
    assert scenario.once(T0 + 7 * DAY) == 0
    reply(imap_server, T0 + 8 * DAY)
    for later in (14, 21, 30):
        assert scenario.once(T0 + later * DAY) == 0
    assert len(received(smtp_server)) == 1
    row = scenario.row(T0 + 30 * DAY, capsys, "Acme Ltd")
    assert (row["waiting_on"], row["state"], row["step"]) == ("you", "ok", 0)


def test_a_reply_between_decision_and_send_stops_the_send(
    scenario: Scenario, imap_server: Any, smtp_server: Any
) -> None:
    import asyncio

    from ghostwatch.app.bootstrap import App
    from ghostwatch.config.loader import load_config

    scenario.clients = ACME
    start_thread(imap_server)
    app = App.open(load_config(scenario.write()))
    # Injected: the client's reply lands after the decision was made, before sending.
    app.before_recheck = lambda: reply(imap_server, T0 + 7 * DAY - timedelta(minutes=1))
    try:
        report = asyncio.run(app.cycle(T0 + 7 * DAY))
    finally:
        app.close()
    assert report.ok
    assert [d.status.value for d in report.accounts[0].deliveries if d.status] == ["cancelled"]
    assert received(smtp_server) == []
    assert outbox(scenario) == [("check_in", 1, "cancelled")]


def test_running_once_twice_at_the_same_instant_sends_once(
    scenario: Scenario, imap_server: Any, smtp_server: Any
) -> None:
    scenario.clients = ACME
    start_thread(imap_server)
    now = T0 + 7 * DAY
    procs = [scenario.subprocess(["once", "--now", iso(now)]) for _ in range(2)]
    outputs = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    assert scenario.once(now) == 0
    assert len(received(smtp_server)) == 1


def test_killed_between_smtp_acceptance_and_db_update_never_sends_twice(
    scenario: Scenario, imap_server: Any, smtp_server: Any, capsys: Any
) -> None:
    scenario.clients = ACME
    start_thread(imap_server)
    now = T0 + 7 * DAY
    smtp_server.delay_next(30.0)  # the server has the message, its final reply is held
    proc = scenario.subprocess(["once", "--now", iso(now)])
    deadline = time.monotonic() + 30
    while not received(smtp_server) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert received(smtp_server), "the nudge never reached the SMTP server"
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=10)
    assert proc.returncode == -signal.SIGKILL
    assert outbox(scenario) == [("check_in", 1, "sending")]

    for later in (now, now + timedelta(hours=1), now + DAY):
        assert scenario.once(later) == 0
    assert len(received(smtp_server)) == 1
    assert outbox(scenario) == [("check_in", 1, "unknown")]
    health = scenario.run("status", "--now", iso(now + DAY), capsys=capsys)
    assert health == 0
    assert "unknown outcome" in scenario.runs[-1][2]


def test_saturday_in_the_clients_zone_waits_for_monday(
    scenario: Scenario, imap_server: Any, smtp_server: Any, capsys: Any
) -> None:
    saturday = datetime(2026, 11, 7, 10, tzinfo=UTC)
    scenario.clients = ACME + 'timezone = "Asia/Bangkok"\n'
    start_thread(imap_server, at=saturday - 7 * DAY)
    assert scenario.once(saturday) == 0
    assert received(smtp_server) == []
    row = scenario.row(saturday, capsys, "Acme Ltd")
    assert row["next_action"]["at"] == "2026-11-09T02:00:00Z"  # Monday 09:00 in Bangkok
    assert scenario.once(datetime(2026, 11, 9, 2, 30, tzinfo=UTC)) == 0
    assert len(received(smtp_server)) == 1


def test_a_configured_public_holiday_is_skipped(
    scenario: Scenario, imap_server: Any, smtp_server: Any, capsys: Any
) -> None:
    # Tuesday 3 March 2026 is a public holiday in Georgia (Mother's Day).
    scenario.rules = 'holidays_country = "GE"'
    scenario.clients = ACME + 'timezone = "Asia/Tbilisi"\n'
    start_thread(imap_server, at=datetime(2026, 2, 24, 6, tzinfo=UTC))
    holiday = datetime(2026, 3, 3, 6, tzinfo=UTC)  # 10:00 in Tbilisi
    assert scenario.once(holiday) == 0
    assert received(smtp_server) == []
    assert scenario.row(holiday, capsys, "Acme Ltd")["next_action"]["at"] == "2026-03-04T05:00:00Z"


@pytest.mark.parametrize(
    ("name", "address", "subject", "language", "greeting"),
    [
        ("ნინო სტუდია", "gela@example.ge", "ლოგოს ესკიზები", "ka", "გამარჯობათ,"),
        ("บริษัท สยาม", "somchai@example.co.th", "แบบร่างโลโก้ รอบที่สอง", "th", "เรียน ท่านผู้เกี่ยวข้อง"),
    ],
)
def test_georgian_and_thai_arrive_intact_with_one_re(
    scenario: Scenario,
    imap_server: Any,
    smtp_server: Any,
    name: str,
    address: str,
    subject: str,
    language: str,
    greeting: str,
) -> None:
    scenario.clients = client_toml(name, [address], language=f'"{language}"')
    start_thread(imap_server, to=address, subject=f"Re: {subject}")
    assert scenario.once(T0 + 7 * DAY) == 0
    [msg] = received(smtp_server)
    assert msg["Subject"] == f"Re: {subject}"
    assert msg["From"].addresses[0].display_name == "Nino Beridze"
    [raw] = [m.raw for m in smtp_server.messages if m.rcpt_tos != [ACCOUNT]]
    assert raw.isascii()  # RFC 2047 headers, transfer-encoded body: safe on any server
    assert b"Subject: Re: =?utf-8?" in raw
    body = msg.get_content()
    assert "Nino Beridze" in body
    # no first_name and no mail from a person there yet: the neutral greeting, never
    # the company's name
    assert body.startswith(greeting)
    assert name.split()[0] not in body


def test_imap_unreachable_exits_1_and_sends_nothing(
    scenario: Scenario, imap_server: Any, smtp_server: Any, capsys: Any
) -> None:
    scenario.clients = ACME
    start_thread(imap_server)
    scenario.imap_port = 1  # nothing listens there
    code = scenario.run("once", "--now", iso(T0 + 7 * DAY), capsys=capsys)
    assert code == 1
    assert "FAILED" in scenario.runs[-1][2]
    assert received(smtp_server) == []


def test_a_550_is_marked_failed_reported_and_not_retried(
    scenario: Scenario, imap_server: Any, smtp_server: Any, capsys: Any
) -> None:
    scenario.clients = ACME
    start_thread(imap_server)
    smtp_server.fail_next(code=550, stage="RCPT")
    assert scenario.once(T0 + 7 * DAY) == 1
    assert outbox(scenario) == [("check_in", 1, "failed")]
    assert scenario.once(T0 + 7 * DAY + timedelta(hours=2)) == 0
    assert received(smtp_server) == []
    assert outbox(scenario) == [("check_in", 1, "failed")]
    assert scenario.run("status", "--now", iso(T0 + 8 * DAY), capsys=capsys) == 0
    assert "1 failed nudge(s)" in scenario.runs[-1][2]


def test_dry_run_sends_nothing_and_lists_what_would_go(
    scenario: Scenario, imap_server: Any, smtp_server: Any, capsys: Any
) -> None:
    scenario.clients = ACME
    start_thread(imap_server)
    assert scenario.run("once", "--now", iso(T0 + 7 * DAY), "--dry-run", capsys=capsys) == 0
    out = scenario.runs[-1][2]
    assert "would send check_in to jane@acme.example" in out
    assert "7 days since your message" in out
    assert received(smtp_server) == []
    assert outbox(scenario) == []


def test_draft_mode_puts_the_nudge_in_drafts(
    scenario: Scenario, imap_server: Any, smtp_server: Any
) -> None:
    scenario.account_extra = 'mode = "draft"'
    scenario.clients = ACME
    start_thread(imap_server)
    assert scenario.once(T0 + 7 * DAY) == 0
    assert received(smtp_server) == []
    assert outbox(scenario) == [("check_in", 1, "drafted")]
    drafts = imap_server.flags("Drafts")
    assert len(drafts) == 1
    assert b"\\Draft" in next(iter(drafts.values()))


def test_a_send_window_across_a_dst_change_lands_at_the_right_local_hour(
    scenario: Scenario, imap_server: Any, smtp_server: Any, capsys: Any
) -> None:
    # Due Saturday 28 March 2026; Berlin moves to summer time on Sunday the 29th, so
    # Monday's 09:00 window opens at 07:00 UTC (it was 08:00 UTC the week before).
    scenario.clients = ACME + 'timezone = "Europe/Berlin"\n'
    start_thread(imap_server, at=datetime(2026, 3, 21, 10, tzinfo=UTC))
    monday_0659 = datetime(2026, 3, 30, 6, 59, tzinfo=UTC)
    assert scenario.once(monday_0659) == 0
    assert received(smtp_server) == []
    assert scenario.row(monday_0659, capsys, "Acme Ltd")["next_action"]["at"] == (
        "2026-03-30T07:00:00Z"
    )
    assert scenario.once(datetime(2026, 3, 30, 7, 0, tzinfo=UTC)) == 0
    assert len(received(smtp_server)) == 1
