"""The command line and the commands by mail refuse what a new user gets wrong (past
dates, unknown names) and say plainly what they did (docs/commands.md), end to end:
a real Dovecot, a real aiosmtpd, the real command line."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.integration.test_mail_commands import (
    ACCOUNT,
    T0,
    deliver,
    events,
    first_summary,
    reply,
    text,
    to,
)
from tests.support.scenario import Scenario, iso


def test_skip_ahead_of_time_drops_that_nudge_and_counts_on_from_its_due_time(
    scenario: Scenario, imap_server: Any, smtp_server: Any, capsys: Any
) -> None:
    first_summary(scenario, imap_server, smtp_server)
    sent_at = T0 + timedelta(minutes=40)  # Mon 9 Nov 09:10: the check-in goes out
    assert scenario.once(sent_at) == 0
    assert len(to(smtp_server, "jane@acme.example")) == 1
    typed = T0 + timedelta(hours=4)  # the user skips the closing notice days ahead
    capsys.readouterr()
    assert scenario.run("skip", "Acme Ltd", "--now", iso(typed), capsys=capsys) == 0
    out = scenario.runs[-1][2]
    assert "skipped closing_notice (due Mon 16 Nov 09:10)" in out  # local, as status
    [acme] = [r for r in scenario.status(typed, capsys) if r["client"] == "Acme Ltd"]
    # the ladder goes on one interval after the skipped nudge's due time, not from
    # the moment of typing (which would send that same notice on Mon 16 Nov 12:30)
    assert acme["next_action"]["kind"] == "closing_notice"
    assert acme["next_action"]["at"].startswith("2026-11-23T09:10")
    assert scenario.once(sent_at + timedelta(days=7, minutes=10)) == 0
    assert len(to(smtp_server, "jane@acme.example")) == 1  # nothing on the 16th


def test_past_dates_are_refused_on_the_command_line(scenario: Scenario, capsys: Any) -> None:
    scenario.clients = (
        '[[clients]]\nname = "Initech"\nemails = ["bill@initech.example"]\n'
        '[[clients.invoices]]\nnumber = "INV-7"\namount = "900 EUR"\ndue = "2026-11-30"\n'
    )
    now = iso(T0)
    assert scenario.run("snooze", "Initech", "--until", "2020-01-01", "--now", now) == 2
    assert scenario.run("expect", "Initech", "INV-7", "--by", "2020-01-01", "--now", now) == 2
    assert "2020-01-01 is in the past" in capsys.readouterr().err
    assert events(scenario, "client.snoozed") == events(scenario, "invoice.promise") == []
    # today itself is no typo; a day of another year is shown with its year
    assert scenario.run("snooze", "Initech", "--until", "2027-01-05", "--now", now) == 0
    assert "Initech: snoozed until Tue 5 Jan 2027" in capsys.readouterr().out
    assert scenario.run("expect", "Initech", "INV-7", "--by", "2026-11-09", "--now", now) == 0


def test_a_snooze_by_mail_until_a_past_day_is_answered_not_done(
    scenario: Scenario, imap_server: Any, smtp_server: Any
) -> None:
    summary = first_summary(scenario, imap_server, smtp_server)
    deliver(imap_server, reply(summary, "snooze Globex 2020-01-01"))
    assert scenario.once(T0 + timedelta(minutes=40)) == 0
    [answer] = [m for m in to(smtp_server, ACCOUNT) if not m["X-Ghostwatch-Summary"]]
    body = " ".join(text(answer).split())
    assert "Not done:" in body and "Wed 1 Jan 2020 is in the past." in body
    assert events(scenario, "client.snoozed") == []


def test_unknown_invoice_is_a_usage_error_and_resume_says_when_there_is_nothing(
    scenario: Scenario, imap_server: Any, smtp_server: Any, capsys: Any
) -> None:
    first_summary(scenario, imap_server, smtp_server)
    now = iso(T0)
    assert scenario.run("paid", "Initech", "INV-404", "--now", now) == 2
    assert "Initech has no invoice 'INV-404'" in capsys.readouterr().err
    assert scenario.run("resume", "Globex", "--now", now, capsys=capsys) == 0
    assert "Globex: was not held or snoozed; nothing to resume" in scenario.runs[-1][2]
    assert events(scenario, "client.resumed") == []
    assert scenario.run("hold", "Globex", "--now", now) == 0
    assert scenario.run("resume", "Globex", "--now", now, capsys=capsys) == 0
    assert "Globex: resumed" in scenario.runs[-1][2]
    assert len(events(scenario, "client.resumed")) == 1


def test_a_held_client_reads_held_in_the_summary_not_a_snooze_to_2999(
    scenario: Scenario, imap_server: Any, smtp_server: Any, capsys: Any
) -> None:
    first_summary(scenario, imap_server, smtp_server)
    assert scenario.run("hold", "Acme Ltd", "--now", iso(T0)) == 0
    html = scenario.directory / "s.html"
    later = iso(T0 + timedelta(days=1))
    assert scenario.run("summary", "--now", later, "--out", str(html)) == 0
    text = html.read_text()
    assert "held until you resume it" in text
    assert "2999" not in text and "31 Dec" not in text and "snoozed until" not in text
    assert scenario.once(T0 + timedelta(minutes=40)) == 0
    assert to(smtp_server, "jane@acme.example") == []  # held: the due check-in waits
