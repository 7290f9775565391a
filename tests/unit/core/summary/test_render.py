"""The daily summary's pure core: sections, both parts, escaping, usual reply time."""

from __future__ import annotations

import html as htmllib
import re
from datetime import UTC, date, datetime, time, timedelta

import pytest

from ghostwatch.core.summary.due import next_due
from ghostwatch.core.summary.facts import (
    ClientInfo,
    HealthInfo,
    InvoiceInfo,
    NudgeInfo,
    SummaryData,
    bar_segments,
    reply_gaps,
    text_bar,
    unusually_quiet,
    usual_reply_time,
)
from ghostwatch.core.summary.render import build_summary
from ghostwatch.core.summary.rows import view

NOW = datetime(2026, 11, 24, 4, 0, tzinfo=UTC)  # Tuesday, 08:00 in Tbilisi
DAY = timedelta(days=1)
LADDER = (7.0, 14.0, 21.0)
SECTIONS = ("needs", "sent", "next", "waiting", "invoices", "health")
HEADINGS = {
    "needs": "Needs you",
    "sent": "Sent since the last summary",
    "next": "Going out next",
    "waiting": "Waiting on clients",
    "invoices": "Invoices",
    "health": "Health",
}


def history(*gaps_days: float) -> tuple[tuple[datetime, bool], ...]:
    out: list[tuple[datetime, bool]] = []
    for i, gap in enumerate(gaps_days):
        ours = NOW - 60 * DAY + 7 * i * DAY
        out += [(ours, False), (ours + gap * DAY, True)]
    return tuple(out)


def client(name: str, state: str, waiting_on: str | None, **kw: object) -> ClientInfo:
    return ClientInfo(name, state, waiting_on, ladder_days=LADDER, **kw)  # type: ignore[arg-type]


CLIENTS = (
    client("Owed Co", "ok", "you", last_inbound=NOW - 4 * DAY, their_subject="Feedback"),
    client("Older Owed", "ok", "you", last_inbound=NOW - 9 * DAY, their_subject="Contract"),
    client(
        "Acme Ltd",
        "nudged",
        "client",
        last_outbound=NOW - 9 * DAY,
        subject="Logo drafts",
        step=1,
        history=history(1, 2, 3),
        next_template="closing_notice",
        next_at=NOW + 3 * DAY,
    ),
    client("Siam", "waiting", "client", last_outbound=NOW - 3 * DAY, subject="Quote"),
    client(
        "Globex",
        "bouncing",
        "client",
        last_outbound=NOW - 12 * DAY,
        bouncing=(("pm@globex.example", NOW - 11 * DAY),),
    ),
    client("Initech", "ghosted", "client", last_outbound=NOW - 22 * DAY, ghosted_at=NOW - DAY / 2),
    client(
        "Old Ghost", "ghosted", "client", last_outbound=NOW - 60 * DAY, ghosted_at=NOW - 30 * DAY
    ),
    client("Umbrella", "away", "client", last_outbound=NOW - 8 * DAY, until=NOW + 3 * DAY),
    client("Hooli", "snoozed", "client", last_outbound=NOW - 16 * DAY, until=NOW + 6 * DAY),
    client("Quiet Co", "ok", None),
)

DATA = SummaryData(
    account="studio (nino@studio.example)",
    timezone="Asia/Tbilisi",
    since=NOW - DAY,
    clients=CLIENTS,
    sent=(
        NudgeInfo("Acme Ltd", "check_in", NOW - 20 * DAY / 24, "sent", "Acme Ltd: 8 days; due"),
        NudgeInfo("Failing", "payment_reminder", NOW - DAY / 2, "failed", "Failing: unpaid"),
    ),
    upcoming=(
        NudgeInfo("Globex", "check_in", NOW, "held", "Globex: held: pm@globex.example bounces"),
        NudgeInfo("Siam", "check_in", datetime(2026, 11, 26, 5, tzinfo=UTC), "scheduled", "x"),
    ),
    invoices=(
        InvoiceInfo("Owed Co", "INV-1", "100 GEL", date(2026, 11, 14), replied_at=NOW - 4 * DAY),
        InvoiceInfo("Wayne", "INV-2", "900 EUR", date(2026, 11, 18)),
        InvoiceInfo("Acme Ltd", "INV-3", "2,400 USD", date(2026, 12, 1)),
        InvoiceInfo("Hooli", "INV-4", "650 USD", date(2026, 11, 2), paid_at=NOW - DAY / 2),
        InvoiceInfo("Old Paid", "INV-5", "10 USD", date(2026, 10, 2), paid_at=NOW - 20 * DAY),
    ),
    health=(
        HealthInfo("studio", NOW - timedelta(minutes=5)),
        HealthInfo("agency", NOW - 3 * DAY, stale=True, error="timed out", error_at=NOW),
    ),
)

EXPECTED = {  # client -> the sections that name it
    "Owed Co": {"needs", "invoices"},
    "Older Owed": {"needs"},
    "Acme Ltd": {"sent", "waiting", "invoices"},
    "Siam": {"next", "waiting"},
    "Globex": {"needs", "next", "waiting"},
    "Initech": {"needs"},
    "Old Ghost": {"waiting"},  # one line: "Ghosted earlier: ..."
    "Umbrella": {"waiting"},
    "Hooli": {"waiting", "invoices"},
    "Quiet Co": set(),
    "Failing": {"sent"},
    "Wayne": {"invoices"},
    "Old Paid": set(),
    "studio": {"health"},
    "agency": {"health"},
}


def html_sections(page: str) -> dict[str, str]:
    """Section key -> its text (tags stripped, entities decoded), split at the <h2>s."""
    parts = re.split(r"<h2\b", page)[1:]
    assert len(parts) == len(SECTIONS)
    text = [htmllib.unescape(re.sub(r"<[^>]+>", " ", p)) for p in parts]
    return dict(zip(SECTIONS, text, strict=True))


def text_sections(text: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for key in reversed(SECTIONS):
        head, _, body = text.rpartition(HEADINGS[key] + "\n" + "=" * len(HEADINGS[key]))
        found[key], text = body, head
    return found


@pytest.fixture(scope="module")
def built() -> tuple[dict[str, str], dict[str, str]]:
    summary = build_summary(DATA, NOW)
    return html_sections(summary.html), text_sections(summary.text)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_section_lists_the_right_clients(
    name: str, built: tuple[dict[str, str], dict[str, str]]
) -> None:
    html_parts, text_parts = built
    assert {k for k, body in html_parts.items() if name in body} == EXPECTED[name]
    assert {k for k, body in text_parts.items() if name in body} == EXPECTED[name]


def test_needs_you_lists_owed_replies_oldest_first_then_bounces_ghosts_invoices() -> None:
    rows = view(DATA, NOW)["needs"]
    assert [(r["client"], r["label"]) for r in rows] == [
        ("Older Owed", "Reply owed"),
        ("Owed Co", "Reply owed"),
        ("Globex", "Bouncing address"),
        ("Initech", "Went ghosted"),
        ("Owed Co", "Wrote after an invoice fell due"),
    ]
    assert rows[0]["detail"] == "“Contract”, waiting 9 days"
    assert "pm@globex.example" in rows[2]["detail"]


def test_the_text_part_states_every_fact_of_the_html() -> None:
    rows = view(DATA, NOW)
    summary = build_summary(DATA, NOW)
    page = htmllib.unescape(summary.html)
    facts = [
        str(row[key])
        for section in ("needs", "sent", "next", "waiting", "invoices")
        for row in rows[section]
        for key in ("client", "label", "detail", "when", "status", "state", "usual", "next")
        if row.get(key)
    ]
    facts += [n["text"] for h in rows["health"] for n in h["notes"]]
    facts += [h["last_sync"] for h in rows["health"]] + [rows["ghosted_earlier"]]
    assert len(facts) > 60
    assert [f for f in facts if f not in summary.text] == []
    assert [f for f in facts if f not in page] == []


def test_waiting_shows_the_usual_reply_time_and_flags_unusual_silence() -> None:
    acme = next(r for r in view(DATA, NOW)["waiting"] if r["client"] == "Acme Ltd")
    assert acme["usual"] == "usually answers within 2 days; now 9 days"
    assert acme["quiet"] is True
    assert acme["state"] == "nudged 1 of 2"
    siam = next(r for r in view(DATA, NOW)["waiting"] if r["client"] == "Siam")
    assert (siam["usual"], siam["quiet"]) == ("", False)  # no history: no claim


def test_times_are_local_to_the_summary_account() -> None:
    siam = next(r for r in view(DATA, NOW)["next"] if r["client"] == "Siam")
    assert siam["when"] == "Thu 26 Nov 09:00"  # 05:00 UTC in Tbilisi
    rows = view(DATA, NOW)
    assert rows["subject"] == "ghostwatch Tue 24 Nov: 5 need you, 2 sent, 2 going out"
    assert rows["times_in"] == "Times in Asia/Tbilisi."


def test_invoices_overdue_first_then_due_then_newly_paid() -> None:
    rows = view(DATA, NOW)["invoices"]
    assert [(r["label"], r["status"]) for r in rows] == [
        ("INV-1", "overdue 10 days"),
        ("INV-2", "overdue 6 days"),
        ("INV-3", "due in 7 days"),
        ("INV-4", "paid Mon 23 Nov"),
    ]


def test_health_names_stale_data_and_the_current_error() -> None:
    agency = view(DATA, NOW)["health"][1]
    assert agency["tone"] == "bad"
    assert [n["text"] for n in agency["notes"]][:2] == [
        "stale: no nudges until the mailbox is read again",
        "error Tue 24 Nov 08:00: timed out",
    ]
    assert view(DATA, NOW)["health"][0]["notes"] == []


HOSTILE = SummaryData(
    account="a",
    timezone="UTC",
    clients=(
        client(
            "<script>alert(1)</script>",
            "ok",
            "you",
            last_inbound=NOW - DAY,
            their_subject="<img src=x onerror=alert(2)>",
        ),
        client("Acme\r\nBcc: x@y", "waiting", "client", last_outbound=NOW - DAY, subject="a\nb"),
    ),
    sent=(NudgeInfo("Evil\u2028Co", "check_in", NOW, "sent", "</td><script>x()</script>"),),
)


def test_client_strings_are_escaped_in_html_and_harmless_in_text() -> None:
    summary = build_summary(HOSTILE, NOW)
    lower = summary.html.lower()
    assert "<script" not in lower and "<img" not in lower
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in summary.html
    assert "&lt;img src=x onerror=alert(2)&gt;" in summary.html
    assert "Acme Bcc: x@y" in summary.text and "Acme Bcc: x@y" in summary.html
    assert not any(line.startswith("Bcc:") for line in summary.text.splitlines())
    assert "\r" not in summary.text and "\u2028" not in summary.text + summary.html
    assert "\n" not in summary.subject and "\r" not in summary.subject


def test_html_loads_nothing_and_runs_nothing() -> None:
    page = build_summary(DATA, NOW).html
    assert page.startswith("<!DOCTYPE html>")
    for banned in ("<script", "<link", "http://", "https://", "url(", "<img", "@import"):
        assert banned not in page.lower()
    # the one <style> left holds only @media rules (tests/unit/core/summary/test_render_layout.py)
    assert page.count("<style") == 1
    assert "max-width: 640px" in page
    assert 'style="' in page  # CSS was inlined


def test_language_headings_and_english_for_an_unknown_language() -> None:
    ka = build_summary(SummaryData("a", "UTC", language="ka", clients=CLIENTS), NOW)
    assert "თქვენს ყურადღებას საჭიროებს" in ka.html and "პასუხი თქვენზეა" in ka.text
    assert "Reply owed" not in ka.text
    th = build_summary(SummaryData("a", "UTC", language="th"), NOW)
    assert "สรุปประจำวัน" in th.html
    assert "Needs you" in build_summary(SummaryData("a", "UTC", language="xx"), NOW).text


def test_an_empty_summary_says_so() -> None:
    summary = build_summary(SummaryData("a", "UTC"), NOW)
    assert summary.text.count("Nothing here.") == 5
    assert "0 need you" in summary.subject


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        build_summary(DATA, NOW.replace(tzinfo=None))


# --- usual reply time -----------------------------------------------------------------

D0 = datetime(2026, 1, 5, 9, tzinfo=UTC)


@pytest.mark.parametrize(
    ("history", "gaps"),
    [
        ([], []),
        ([(D0, False)], []),  # unanswered: not a sample
        ([(D0, False), (D0 + DAY, True)], [DAY]),
        # a follow-up of ours does not restart the clock: counted from the first
        ([(D0, False), (D0 + 2 * DAY, False), (D0 + 3 * DAY, True)], [3 * DAY]),
        # they wrote first: nothing to answer; then we wrote and they answered
        ([(D0, True), (D0 + DAY, False), (D0 + 2 * DAY, True)], [DAY]),
        # two replies in a row count once
        ([(D0, False), (D0 + DAY, True), (D0 + 2 * DAY, True)], [DAY]),
        # any order in, chronological out
        ([(D0 + DAY, True), (D0, False)], [DAY]),
    ],
)
def test_reply_gaps(history: list[tuple[datetime, bool]], gaps: list[timedelta]) -> None:
    assert reply_gaps(history) == gaps


def _exchanges(*gaps: timedelta) -> list[tuple[datetime, bool]]:
    out = []
    for i, gap in enumerate(gaps):
        out += [(D0 + 10 * i * DAY, False), (D0 + 10 * i * DAY + gap, True)]
    return out


@pytest.mark.parametrize(
    ("gaps", "usual"),
    [
        ((), None),
        ((DAY,), None),  # one exchange is not a habit
        ((DAY, 3 * DAY), 2 * DAY),  # even count: mean of the middle two
        ((DAY, 2 * DAY, 9 * DAY), 2 * DAY),  # the median ignores one slow answer
        ((timedelta(hours=2), timedelta(hours=4), timedelta(hours=3)), timedelta(hours=3)),
    ],
)
def test_usual_reply_time_is_the_median_gap(
    gaps: tuple[timedelta, ...], usual: timedelta | None
) -> None:
    assert usual_reply_time(_exchanges(*gaps)) == usual


@pytest.mark.parametrize(
    ("silence", "usual", "quiet"),
    [
        (9 * DAY, 2 * DAY, True),
        (4 * DAY, 2 * DAY, False),  # twice the usual is still normal
        (3 * DAY, timedelta(hours=1), True),
        (2 * DAY, timedelta(hours=1), False),  # a fast answerer gets two days' grace
        (90 * DAY, None, False),
    ],
)
def test_unusually_quiet(silence: timedelta, usual: timedelta | None, quiet: bool) -> None:
    assert unusually_quiet(silence, usual) is quiet


# --- the silence bar -------------------------------------------------------------------


def test_bar_fills_up_to_the_silence_with_ticks_at_the_thresholds() -> None:
    cells = bar_segments(9, LADDER)
    assert sum(c["pct"] for c in cells) == pytest.approx(100, abs=0.3)
    assert sum(1 for c in cells if c["tick"]) == 3
    filled = [c for c in cells if c["colour"] != "#e5e7eb"]
    assert sum(c["pct"] for c in filled) == pytest.approx(9 / 25.2 * 100, abs=0.3)
    assert [c["colour"] for c in filled] == ["#60a5fa", "#f59e0b"]  # calm, then step 1
    assert text_bar(9, LADDER).count("|") == 3
    assert text_bar(0, LADDER).count("#") == 0


def test_bar_stretches_for_a_long_silence_but_not_forever() -> None:
    filled = [c["pct"] for c in bar_segments(30, LADDER) if c["colour"] != "#e5e7eb"]
    assert sum(filled) == pytest.approx(100, abs=0.3)
    assert text_bar(400, LADDER).count("-") == 0


# --- when it is due --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "zone", "sent", "due"),
    [
        (datetime(2026, 11, 24, 3, tzinfo=UTC), "Asia/Tbilisi", False, "2026-11-24T04:00"),
        (datetime(2026, 11, 24, 5, tzinfo=UTC), "Asia/Tbilisi", False, "2026-11-24T05:00"),
        (datetime(2026, 11, 24, 5, tzinfo=UTC), "Asia/Tbilisi", True, "2026-11-25T04:00"),
        # 23:00 UTC is already the 25th in Tbilisi: that day's 08:00 is ahead
        (datetime(2026, 11, 24, 23, tzinfo=UTC), "Asia/Tbilisi", False, "2026-11-25T04:00"),
        # Berlin leaves summer time on 25 Oct 2026: 08:00 moves from 06:00 to 07:00 UTC
        (datetime(2026, 10, 24, 12, tzinfo=UTC), "Europe/Berlin", True, "2026-10-25T07:00"),
        (datetime(2026, 10, 24, 5, tzinfo=UTC), "Europe/Berlin", True, "2026-10-24T06:00"),
    ],
)
def test_next_due(now: datetime, zone: str, sent: bool, due: str) -> None:
    at = next_due(now, zone, time(8, 0), sent_today=sent)
    assert at.tzinfo is not None
    assert at.astimezone(UTC).isoformat(timespec="minutes") == due + "+00:00"


def test_a_message_that_could_not_be_read_needs_you() -> None:
    hidden = client(
        "Vandelay", "waiting", "client", last_outbound=NOW - 3 * DAY, unreadable=(NOW - 2 * DAY,)
    )
    rows = view(SummaryData("a", "Asia/Tbilisi", clients=(hidden,)), NOW)["needs"]
    assert [(r["client"], r["label"], r["tone"]) for r in rows] == [
        ("Vandelay", "Message could not be read", "warn")
    ]
    assert rows[0]["detail"].startswith("Their message of Sun 22 Nov could not be read")
    ka = view(SummaryData("a", "Asia/Tbilisi", language="ka", clients=(hidden,)), NOW)
    assert ka["needs"][0]["label"] == "წერილი ვერ წავიკითხეთ"
