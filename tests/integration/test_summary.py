"""The daily summary end to end: real Dovecot, real aiosmtpd, the real command line."""

from __future__ import annotations

import html as htmllib
import os
import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from ghostwatch.tools.summary_sample import chromium, screenshot
from tests.support.png import read_png
from tests.support.scenario import ACCOUNT, Scenario, client_toml, dsn, iso, mail

T0 = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)  # Monday 10:00, in the send window
DAY = timedelta(days=1)
SECTIONS = ("needs", "sent", "next", "waiting", "invoices", "health")
GEORGIAN = "ნინო სტუდია"
THAI = "บริษัท สยาม"


def summary_keys(**keys: str) -> str:
    """TOML lines for ``[summary]``: Scenario writes that table last, just before
    ``clients``, so lines put before the first ``[[clients]]`` land in it."""
    return "".join(f'{k} = "{v}"\n' for k, v in keys.items())


def summaries(smtp: Any) -> list[EmailMessage]:
    return [m.message for m in smtp.messages if m.message["X-Ghostwatch-Summary"]]


def nudges(smtp: Any) -> list[EmailMessage]:
    return [m.message for m in smtp.messages if not m.message["X-Ghostwatch-Summary"]]


def db(scenario: Scenario, sql: str) -> list[tuple[Any, ...]]:
    with scenario.db() as conn:
        return conn.execute(sql).fetchall()


def sections(page: str) -> dict[str, str]:
    parts = re.split(r"<h2\b", page)[1:]
    assert len(parts) == len(SECTIONS)
    return dict(
        zip(SECTIONS, (htmllib.unescape(re.sub(r"<[^>]+>", " ", p)) for p in parts), strict=True)
    )


# --- a realistic mailbox: a client in every state -------------------------------------

CLIENTS = (
    client_toml("Acme Ltd", ["jane@acme.example"], ["acme.example"])
    + client_toml(
        "Initech",
        ["bill@initech.example"],
        rules='{ ladder = [ { after = "1d", template = "check_in" } ], give_up_after = "1d" }',
    )
    + client_toml("Globex", ["pm@globex.example"])
    + client_toml("Hooli", ["gavin@hooli.example"])
    + client_toml("Umbrella", ["alice@umbrella.example"])
    + client_toml(GEORGIAN, ["gela@example.ge"], language='"ka"')
    + '[[clients.invoices]]\nnumber = "INV-7"\namount = "1,200 GEL"\ndue = "2026-11-02"\n'
    + client_toml(THAI, ["somchai@example.co.th"])
    + client_toml("Wayne", ["ap@wayne.example"])
    + '[[clients.invoices]]\nnumber = "INV-3"\namount = "900 EUR"\ndue = "2026-10-20"\n'
)


def ours(imap: Any, to: str, subject: str, at: datetime, mid: str) -> None:
    imap.append("Sent", mail(ACCOUNT, to, subject, message_id=mid, date=at), internal_date=at)


def theirs(imap: Any, sender: str, subject: str, at: datetime, mid: str, **kw: Any) -> None:
    raw = mail(sender, ACCOUNT, subject, message_id=mid, date=at, **kw)
    imap.append("INBOX", raw, internal_date=at)


def seed(imap: Any) -> None:
    # Acme answers within about a day and a half, usually; now it has gone quiet.
    for i, gap in enumerate((1, 2)):
        at = T0 - (40 - 10 * i) * DAY
        ours(imap, "jane@acme.example", f"Sketch {i}", at, f"<a{i}@studio>")
        theirs(imap, "jane@acme.example", f"Re: Sketch {i}", at + gap * DAY, f"<ra{i}@acme>")
    ours(imap, "jane@acme.example", "Logo drafts", T0 - 8 * DAY, "<acme@studio>")
    ours(imap, "bill@initech.example", "Quarterly report", T0 - 3 * DAY, "<init@studio>")
    ours(imap, "pm@globex.example", "Website copy", T0 - 2 * DAY, "<glob@studio>")
    raw = dsn(ACCOUNT, "pm@globex.example", message_id="<dsn@mx>", date=T0 - DAY, original_id="x")
    imap.append("INBOX", raw, internal_date=T0 - DAY)
    ours(imap, "gavin@hooli.example", "Pitch deck", T0 - DAY, "<hooli@studio>")
    ours(imap, "alice@umbrella.example", "Brand book", T0 - 2 * DAY, "<umb@studio>")
    theirs(
        imap,
        "alice@umbrella.example",
        "Out of Office: Brand book",
        T0 - 2 * DAY + timedelta(hours=1),
        "<ooo@umbrella>",
        headers={"Auto-Submitted": "auto-replied"},
        body="I am out of the office until 30 November 2026 with limited access to email.\n",
    )
    ours(imap, "gela@example.ge", "ლოგოს ესკიზები", T0 - 5 * DAY, "<ge@studio>")
    ours(imap, "somchai@example.co.th", "แบบร่างโลโก้", T0 - 2 * DAY, "<th@studio>")


def realistic(scenario: Scenario, imap: Any, capsys: Any) -> datetime:
    """Build the mailbox and run it to Thursday 10:00; return that instant."""
    scenario.clients = summary_keys(at="18:00") + CLIENTS  # no daily summary at 10:00
    seed(imap)
    assert scenario.once(T0) == 0  # Acme, Initech check-ins; Wayne payment reminder
    # at the scenario's time: a day before today is refused (it would be on the real clock)
    snooze = ("snooze", "Hooli", "--until", "2026-12-31", "--now", T0.isoformat())
    assert scenario.run(*snooze, capsys=capsys) == 0
    # the Georgian client writes after their invoice fell due (and we owe them a reply)
    theirs(imap, "gela@example.ge", "Re: ლოგოს ესკიზები", T0 + DAY, "<ge2@ge>")
    assert scenario.once(T0 + DAY) == 0  # Initech: ghosted
    now = T0 + 3 * DAY
    assert scenario.once(now) == 0
    return now


EXPECTED = {
    "Acme Ltd": {"sent", "next", "waiting"},
    "Initech": {"needs", "sent"},
    "Globex": {"needs", "next", "waiting"},
    "Hooli": {"waiting"},
    "Umbrella": {"waiting"},
    GEORGIAN: {"needs", "next", "invoices"},
    THAI: {"next", "waiting"},
    "Wayne": {"sent", "next", "invoices"},
}


def test_summary_out_after_a_realistic_scenario(
    scenario: Scenario, imap_server: Any, smtp_server: Any, capsys: Any, tmp_path: Path
) -> None:
    now = realistic(scenario, imap_server, capsys)
    sent_before = len(smtp_server.messages)
    out = tmp_path / "summary.html"
    assert scenario.run("summary", "--out", str(out), "--now", iso(now), capsys=capsys) == 0
    page = out.read_text(encoding="utf-8")
    found = sections(page)
    for name, where in EXPECTED.items():
        assert {k for k, body in found.items() if name in body} == where, name
    assert "usually answers within 2 days; now 11 days" in found["waiting"]
    assert "unusually quiet" in found["waiting"]
    assert "pm@globex.example bounces" in found["needs"]
    assert "INV-7" in found["needs"] and "overdue 3 days" in found["invoices"]
    assert "last sync Thu 5 Nov 10:00" in found["health"]
    # --out never sends and never records
    assert len(smtp_server.messages) == sent_before
    assert db(scenario, "SELECT * FROM summary_log") == []


def test_the_text_part_has_the_same_facts(
    scenario: Scenario, imap_server: Any, smtp_server: Any, capsys: Any
) -> None:
    now = realistic(scenario, imap_server, capsys)
    assert scenario.run("summary", "--send", "--now", iso(now), capsys=capsys) == 0
    [msg] = summaries(smtp_server)
    text = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    page = sections(msg.get_body(("html",)).get_content())  # type: ignore[union-attr]
    for name in EXPECTED:
        assert name in text
    for fact in ("usually answers within 2 days; now 11 days", "overdue 3 days", "Went ghosted"):
        assert fact in text and any(fact in body for body in page.values())
    assert msg["To"] == ACCOUNT and msg["Auto-Submitted"] == "auto-generated"
    # on demand does not count as the daily summary
    assert db(scenario, "SELECT * FROM summary_log") == []


# Everything of the realistic mailbox that is not the summary's own words.
OUTSIDE = (
    *EXPECTED,
    *("Logo drafts", "Quarterly report", "Website copy", "Pitch deck", "Brand book"),
    *(
        "ლოგოს ესკიზები",
        "Re: Sketch 1",
        "Re: Sketch 0",
        "Re:",
        "INV-7",
        "INV-3",
        "1,200 GEL",
        "900 EUR",
    ),
    *("ghostwatch status", "ghostwatch", "studio"),
)


@pytest.mark.parametrize("language", ["ka", "th"])
def test_a_georgian_or_thai_summary_has_no_english_word_outside_names_and_data(
    scenario: Scenario, imap_server: Any, smtp_server: Any, capsys: Any, language: str
) -> None:
    now = realistic(scenario, imap_server, capsys)
    scenario.clients = summary_keys(at="18:00", language=language) + CLIENTS
    assert scenario.run("summary", "--send", "--now", iso(now), capsys=capsys) == 0
    [msg] = summaries(smtp_server)
    text = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    page = msg.get_body(("html",)).get_content()  # type: ignore[union-attr]
    visible = htmllib.unescape(
        re.sub(r"<[^>]+>", " ", re.sub(r"<style.*?</style>", "", page, flags=re.S))
    )
    assert f'lang="{language}"' in page
    for part in (str(msg["Subject"]), text, visible):
        part = re.sub(r"\S+@\S+", " ", part)  # addresses
        part = re.sub(r"\bgw-[a-z0-9]{12}\b", " ", part)  # the commands' key (docs/commands.md)
        for outside in sorted(OUTSIDE, key=len, reverse=True):
            part = part.replace(outside, " ")
        assert re.findall(r"[A-Za-z]{2,}", part) == [], part


# --- exactly once a day --------------------------------------------------------------


def test_once_sends_the_daily_summary_once_whatever_the_restarts(
    scenario: Scenario, imap_server: Any, smtp_server: Any
) -> None:
    scenario.clients = client_toml("Acme Ltd", ["jane@acme.example"])
    day = datetime(2026, 11, 3, tzinfo=UTC)
    assert scenario.once(day + timedelta(hours=7, minutes=59)) == 0
    assert summaries(smtp_server) == []
    assert scenario.once(day + timedelta(hours=8)) == 0
    assert len(summaries(smtp_server)) == 1
    assert scenario.once(day + timedelta(hours=8, minutes=30)) == 0
    restarted = scenario.subprocess(["once", "--now", iso(day + timedelta(hours=12))])
    restarted.communicate(timeout=60)
    assert restarted.returncode == 0
    assert scenario.once(day + timedelta(hours=23, minutes=59)) == 0
    assert len(summaries(smtp_server)) == 1
    assert scenario.once(day + DAY + timedelta(hours=8, minutes=1)) == 0  # the next day
    first, second = summaries(smtp_server)
    assert first["Message-ID"] != second["Message-ID"]
    assert [d for (d,) in db(scenario, "SELECT local_date FROM summary_log ORDER BY 1")] == [
        "2026-11-03",
        "2026-11-04",
    ]


def test_a_missed_summary_goes_out_once_on_the_first_run_that_day(
    scenario: Scenario, imap_server: Any, smtp_server: Any
) -> None:
    # due at 08:00 (UTC, the account's zone); the daemon was down until 11:00
    scenario.clients = summary_keys(at="08:00") + client_toml("Acme Ltd", ["jane@acme.example"])
    late = datetime(2026, 11, 3, 11, tzinfo=UTC)
    procs = [scenario.subprocess(["once", "--now", iso(late)]) for _ in range(2)]
    outputs = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs  # two at once: still one summary
    assert scenario.once(late + timedelta(hours=1)) == 0
    assert len(summaries(smtp_server)) == 1
    assert len(db(scenario, "SELECT * FROM summary_log")) == 1


def test_a_refused_summary_is_retried_later_that_day_with_the_same_message_id(
    scenario: Scenario, imap_server: Any, smtp_server: Any
) -> None:
    scenario.clients = client_toml("Acme Ltd", ["jane@acme.example"])
    at = datetime(2026, 11, 3, 8, tzinfo=UTC)
    smtp_server.fail_next(451, "MAIL")
    assert scenario.once(at) == 0
    assert summaries(smtp_server) == []
    assert scenario.once(at + timedelta(minutes=5)) == 0  # too soon to retry
    assert summaries(smtp_server) == []
    assert scenario.once(at + timedelta(minutes=15)) == 0
    assert scenario.once(at + timedelta(hours=2)) == 0
    [msg] = summaries(smtp_server)
    [(message_id,)] = db(scenario, "SELECT message_id FROM summary_log")
    assert msg["Message-ID"] == message_id
    kinds = Counter(k for (k,) in db(scenario, "SELECT kind FROM event WHERE kind LIKE 'summary%'"))
    assert kinds == {"summary.failed": 1, "summary.sent": 1}


def test_summary_send_exits_1_when_the_server_refuses(
    scenario: Scenario, imap_server: Any, smtp_server: Any, capsys: Any
) -> None:
    scenario.clients = client_toml("Acme Ltd", ["jane@acme.example"])
    smtp_server.fail_next(554, "MAIL")
    assert scenario.run("summary", "--send", "--now", iso(T0), capsys=capsys) == 1
    assert scenario.run("summary", "--send", "--now", iso(T0), capsys=capsys) == 0
    assert len(summaries(smtp_server)) == 1


def test_disabled_or_dry_run_sends_no_summary(
    scenario: Scenario, imap_server: Any, smtp_server: Any
) -> None:
    scenario.clients = summary_keys() + client_toml("Acme Ltd", ["jane@acme.example"])
    assert scenario.once(T0 + DAY, "--dry-run") == 0
    scenario.clients = "enabled = false\n" + client_toml("Acme Ltd", ["jane@acme.example"])
    assert scenario.once(T0 + DAY) == 0
    assert summaries(smtp_server) == []
    assert db(scenario, "SELECT * FROM summary_log") == []


# --- the picture ----------------------------------------------------------------------


def _browser() -> str:
    binary = chromium()
    if binary is None:
        reason = (
            "!!! chromium is not installed: the summary was NOT rendered in a browser "
            "(apt-get install chromium; set GHOSTWATCH_REQUIRE_CHROMIUM=1 to make this fail)"
        )
        if os.environ.get("GHOSTWATCH_REQUIRE_CHROMIUM") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    return binary


def _near(pixel: tuple[int, int, int], colour: str, slack: int = 12) -> bool:
    target = bytes.fromhex(colour.lstrip("#"))
    return all(abs(a - b) <= slack for a, b in zip(pixel, target, strict=True))


@pytest.mark.slow
def test_the_summary_renders_as_a_readable_picture_in_chromium(
    scenario: Scenario, imap_server: Any, smtp_server: Any, capsys: Any, tmp_path: Path
) -> None:
    binary = _browser()
    now = realistic(scenario, imap_server, capsys)
    out = tmp_path / "summary.html"
    assert scenario.run("summary", "--out", str(out), "--now", iso(now), capsys=capsys) == 0
    png = tmp_path / "summary.png"
    screenshot(out.read_text(encoding="utf-8"), png, binary=binary)
    image = read_png(png.read_bytes())
    assert (image.width, image.height) == (800, 1400)
    pixels = image.pixels(step=3)
    luminance = [0.2126 * r + 0.7152 * g + 0.0722 * b for r, g, b in pixels]
    mean = sum(luminance) / len(luminance)
    variance = sum((v - mean) ** 2 for v in luminance) / len(luminance)
    assert variance > 300, "the page is (nearly) blank"
    assert len(set(pixels)) > 100, "too few colours: text and bars did not render"
    # the dark header band, the white card, the grey page, and silence bars in colour
    assert _near(image.pixel(400, 40), "#111827")
    assert _near(image.pixel(5, 700), "#f3f4f6")
    assert sum(_near(p, "#ffffff", 0) for p in pixels) > len(pixels) // 3
    for bar in ("#60a5fa", "#f59e0b"):
        assert sum(_near(p, bar, 6) for p in pixels) > 50, f"no {bar} silence bar"
