"""The daily summary's rows (``core/summary/rows.py``): ``SummaryData`` in, the values
both parts render out, on small literal data in English, UTC.

Proves what test_render.py's big fixture does not pin: each client state's words in
the waiting section; waiting order (longest silence first, ties by name) and which
ghosted clients are a "Went ghosted" row versus the "Ghosted earlier" line; invoice
status at the day boundaries, in the account's zone, and which paid invoices are
still shown; sent in time order and held steps last in "going out"; nudge tones;
health tones, notes and a refused login replacing the raw error; a refused reply to
the summary needs the user but gets no command label; the count tiles.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from ghostwatch.core.summary.facts import (
    ClientInfo,
    HealthInfo,
    InvoiceInfo,
    LoginRefusedInfo,
    NudgeInfo,
    RefusalInfo,
    SummaryData,
)
from ghostwatch.core.summary.rows import view

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # Tuesday
DAY = timedelta(days=1)
DATA = SummaryData(account="studio", timezone="UTC", since=NOW - DAY)


def rows(**kw: Any) -> dict[str, Any]:
    return view(replace(DATA, **kw), NOW)


def waiting(name: str, state: str, days: float = 3, **kw: Any) -> ClientInfo:
    kw.setdefault("ladder_days", (7.0, 14.0, 21.0))
    return ClientInfo(name, state, "client", last_outbound=NOW - days * DAY, **kw)


# --- waiting on clients --------------------------------------------------------------


@pytest.mark.parametrize(
    ("client", "words"),
    [
        (waiting("A", "waiting"), "waiting"),
        (waiting("A", "nudged", step=1), "nudged 1 of 2"),
        # a ladder shorter than the steps already used: the step count wins
        (waiting("A", "nudged", step=3, ladder_days=(7.0, 14.0)), "nudged 3 of 3"),
        (waiting("A", "away", until=datetime(2026, 11, 30, tzinfo=UTC)), "away until Mon 30 Nov"),
        (waiting("A", "away"), "away"),  # no known return: the bare word
        (
            waiting("A", "snoozed", until=datetime(2026, 12, 1, tzinfo=UTC)),
            "snoozed until Tue 1 Dec",
        ),
        (waiting("A", "held"), "held until you resume it"),
        (waiting("A", "paused"), "work paused"),
        (waiting("A", "bouncing"), "bouncing"),
    ],
)
def test_each_state_is_said_in_words(client: ClientInfo, words: str) -> None:
    [row] = rows(clients=(client,))["waiting"]
    assert row["state"] == words


def test_waiting_is_longest_silence_first_then_by_name() -> None:
    clients = (
        waiting("Brio", "waiting", 3),
        waiting("Zeta", "waiting", 10),
        waiting("Acme", "waiting", 3),
        ClientInfo("Owed", "ok", "you", last_inbound=NOW - DAY),  # the ball is ours
        ClientInfo("Fresh", "waiting", "client"),  # no message of ours on record
    )
    got = rows(clients=clients)["waiting"]
    assert [(r["client"], r["detail"]) for r in got] == [
        ("Zeta", "10 days since your message “…”"),
        ("Acme", "3 days since your message “…”"),
        ("Brio", "3 days since your message “…”"),
    ]


@pytest.mark.parametrize(
    ("state", "tone"),
    [("waiting", "info"), ("nudged", "warn"), ("bouncing", "bad"), ("away", "info")],
)
def test_waiting_row_tone(state: str, tone: str) -> None:
    [row] = rows(clients=(waiting("A", state, step=1),))["waiting"]
    assert row["tone"] == tone


def test_ghosted_since_the_last_summary_needs_you_earlier_ones_are_one_line() -> None:
    clients = (
        waiting("New", "ghosted", 30, ghosted_at=NOW - DAY),  # exactly at ``since``: new
        waiting("Old", "ghosted", 60, ghosted_at=NOW - 5 * DAY),
        waiting("Older", "ghosted", 90, ghosted_at=NOW - 9 * DAY),
    )
    got = rows(clients=clients)
    assert [(r["client"], r["label"]) for r in got["needs"]] == [("New", "Went ghosted")]
    assert (
        got["needs"][0]["detail"] == "No answer since your message of Sun 25 Oct; no more nudges."
    )
    assert got["waiting"] == []
    assert got["ghosted_earlier"] == "Ghosted earlier: Old, Older"
    assert rows(clients=clients[:1])["ghosted_earlier"] == ""


# --- invoices ------------------------------------------------------------------------


def inv(number: str, due: date, **kw: Any) -> InvoiceInfo:
    return InvoiceInfo("Acme", number, "€900", due, **kw)


@pytest.mark.parametrize(
    ("zone", "due", "status", "tone"),
    [
        ("UTC", date(2026, 11, 23), "overdue 1 day", "bad"),
        ("UTC", date(2026, 11, 24), "due today", "warn"),
        ("UTC", date(2026, 11, 25), "due in 1 day", "info"),
        # 09:00 UTC is still 23 Nov (23:00) in Honolulu (UTC-10): the 24th is tomorrow
        ("Pacific/Honolulu", date(2026, 11, 24), "due in 1 day", "info"),
        ("Pacific/Honolulu", date(2026, 11, 23), "due today", "warn"),
    ],
)
def test_invoice_status_at_the_day_boundaries(zone: str, due: date, status: str, tone: str) -> None:
    [row] = rows(timezone=zone, invoices=(inv("INV-1", due),))["invoices"]
    assert (row["status"], row["tone"], row["paid"]) == (status, tone, "")


def test_paid_invoices_show_once_after_unpaid_ones() -> None:
    got = rows(
        invoices=(
            inv("INV-9", date(2026, 11, 1), paid_at=NOW - DAY),  # paid since the last summary
            inv("INV-8", date(2026, 11, 1), paid_at=NOW - 2 * DAY),  # paid before it: gone
            inv("INV-3", date(2026, 11, 30)),
            inv("INV-2", date(2026, 11, 20)),
        )
    )["invoices"]
    assert [(r["number"], r["tone"], r["paid"]) for r in got] == [
        ("INV-2", "bad", ""),
        ("INV-3", "info", ""),
        ("INV-9", "ok", "yes"),
    ]
    assert got[-1]["status"] == "paid Mon 23 Nov"
    # with no summary before, every paid invoice is new
    assert (
        len(
            rows(since=None, invoices=(inv("INV-8", date(2026, 11, 1), paid_at=NOW - 30 * DAY),))[
                "invoices"
            ]
        )
        == 1
    )


# --- sent and going out --------------------------------------------------------------


def nudge(client: str, at: datetime, status: str = "sent", **kw: Any) -> NudgeInfo:
    return NudgeInfo(client, "check_in", at, status, **kw)


def test_sent_in_time_order_and_held_steps_go_out_last() -> None:
    sent = (nudge("B", NOW - DAY), nudge("A", NOW - DAY), nudge("C", NOW - 2 * DAY))
    upcoming = (
        nudge("Held", NOW + DAY, "held"),
        nudge("Late", NOW + 3 * DAY, "planned"),
        nudge("Soon", NOW + 2 * DAY, "planned"),
    )
    got = rows(sent=sent, upcoming=upcoming)
    assert [r["client"] for r in got["sent"]] == ["C", "A", "B"]
    assert [r["client"] for r in got["next"]] == ["Soon", "Late", "Held"]
    assert [c[0] for c in got["counts"]] == [0, 3, 3, 0]


@pytest.mark.parametrize(
    ("status", "tone"),
    [
        ("sent", "ok"),
        ("drafted", "ok"),
        ("failed", "bad"),
        ("unknown", "warn"),
        ("held", "warn"),
        ("cancelled", "info"),
    ],
)
def test_a_nudges_tone_follows_its_status(status: str, tone: str) -> None:
    [row] = rows(sent=(nudge("A", NOW - DAY, status, to="jane@acme.example"),))["sent"]
    assert (row["tone"], row["to"], row["template"]) == (tone, "jane@acme.example", "check_in")


# --- needs you: refusals, counts -----------------------------------------------------


def test_a_refused_reply_to_the_summary_needs_you_but_gets_no_label() -> None:
    refusal = RefusalInfo(NOW - DAY, "mallory@evil.example", "sender")
    owed = ClientInfo("Owed", "ok", "you", last_inbound=NOW - 2 * DAY, their_subject="Q")
    got = rows(clients=(owed,), refusals=(refusal,), token="k3y")
    assert [(r["label"], r["tone"]) for r in got["needs"]] == [
        ("Reply owed", "warn"),
        ("Reply to the summary refused", "bad"),
    ]
    assert (
        got["needs"][1]["detail"]
        == "A reply from mallory@evil.example, which is not your address: ignored."
    )
    assert got["needs"][0]["cmd"] and not got["needs"][1]["cmd"]
    assert got["counts"][0] == (2, "need you", "warn")
    assert rows()["counts"][0] == (0, "need you", "ok")


def test_no_command_labels_without_a_token() -> None:
    owed = ClientInfo("Owed", "ok", "you", last_inbound=NOW - 2 * DAY)
    got = rows(clients=(owed,))
    assert (got["labels"], got["commands"], got["needs"][0]["cmd"]) == ({}, None, "")


# --- health --------------------------------------------------------------------------

REFUSED = LoginRefusedInfo("imap", NOW - DAY, NOW + DAY, "password")


@pytest.mark.parametrize(
    ("health", "tone", "notes"),
    [
        (HealthInfo("studio", NOW), "ok", []),
        (
            HealthInfo("studio", NOW, paused=True, unknown=2),
            "warn",
            ["paused: no nudges go out", "2 nudges of unknown outcome"],
        ),
        (
            HealthInfo("studio", NOW, unknown=1, failed=1),
            "bad",
            ["1 nudge of unknown outcome", "1 failed nudge"],
        ),
        (HealthInfo("studio", NOW, error="timed out"), "bad", ["error …: timed out"]),
    ],
)
def test_health_tone_is_its_worst_note(health: HealthInfo, tone: str, notes: list[str]) -> None:
    [row] = rows(health=(health,))["health"]
    assert (row["tone"], [n["text"] for n in row["notes"]]) == (tone, notes)


def test_a_refused_login_replaces_the_raw_error() -> None:
    health = HealthInfo(
        "studio", None, error="AUTHENTICATIONFAILED", error_at=NOW, refused=(REFUSED,)
    )
    [row] = rows(health=(health,))["health"]
    [note] = row["notes"]
    assert note["text"].startswith("IMAP login refused since Mon 23 Nov 09:00: ")
    assert note["text"].endswith("Next try Wed 25 Nov 09:00.")
    assert "AUTHENTICATIONFAILED" not in note["text"]
    assert row["last_sync"] == "last sync never"
