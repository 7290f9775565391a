"""A client's promise to deliver, end to end: real Dovecot, real aiosmtpd, a config file
and the real command line, time by --now (docs/promises.md, "In the deadline ladder").

The logo feedback was due Monday 2 November 2026. On Tuesday the 3rd, a day after it,
Jane writes "I'll send the feedback on Friday" and the user answers. Without the promise
that reply would end the deadline (nothing more is ever sent); with it nothing goes out
until Friday's end plus one business day (Tuesday the 10th, 09:00), then ONE
``deadline_promise_reminder`` that names the day, in Jane's language. The feedback
arriving before then ends the deadline with no reminder at all.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

import pytest

from tests.support.scenario import ACCOUNT, Scenario, client_toml, mail, received_nudges

DEADLINE = '[{ what = "logo feedback", due = "2026-11-02" }]'
PROMISES = {
    "en": (
        "Hi Nino,\n\nSorry, it's been a busy week! I'll send the feedback on Friday.\n\nJane\n",
        "you mentioned you'd send it by Friday 6 November; I haven't received it yet",
    ),
    "ka": (
        "გამარჯობა ნინო,\n\nბოდიში დაგვიანებისთვის. უკუკავშირს პარასკევს გამოგიგზავნით.\n\nჯეინი\n",
        "როგორც მომწერეთ, გამოგზავნას 6 ნოემბრამდე აპირებდით, თუმცა ჯერ არ მიმიღია",
    ),
}


def acme(language: str = "en") -> str:
    return client_toml(
        "Acme Ltd",
        ["jane@acme.example"],
        ["acme.example"],
        language=f'"{language}"',
        deadlines=DEADLINE,
    )


def on(day: int, hour: int = 10) -> datetime:
    return datetime(2026, 11, day, hour, 0, tzinfo=UTC)


def body(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return " ".join(str(part.get_content()).split())


def promise(imap: Any, text: str, *, answer: bool = True) -> None:
    """Jane's promise (a day after the due date) and, an hour later, the user's answer."""
    imap.append(
        "INBOX",
        mail(
            "Jane Smith <jane@acme.example>",
            ACCOUNT,
            "Re: Logo drafts",
            message_id="<p1@acme>",
            date=on(3, 12),
            body=text,
        ),
        internal_date=on(3, 12),
    )
    if not answer:
        return
    reply = mail(
        ACCOUNT,
        "jane@acme.example",
        "Re: Logo drafts",
        message_id="<u1@studio>",
        date=on(3, 13),
        in_reply_to="<p1@acme>",
        body="Thanks Jane, Friday is fine.\n",
    )
    imap.append("Sent", reply, internal_date=on(3, 13))


@pytest.mark.parametrize("language", ["en", "ka"])
def test_no_reminder_until_the_promised_day_ends_then_one_quoting_it(
    scenario: Scenario, imap_server: Any, smtp_server: Any, capsys: Any, language: str
) -> None:
    text, expected = PROMISES[language]
    scenario.clients = acme(language)
    assert scenario.once(on(3, 9)) == 0
    promise(imap_server, text)
    # Wednesday (the deadline_reminder's day), Thursday, Friday, Monday, Tuesday early
    for now in (on(4), on(5), on(6), on(9), on(10, 8)):
        assert scenario.once(now) == 0
    assert received_nudges(smtp_server) == []
    [dl] = scenario.row(on(9), capsys, "Acme Ltd")["deadlines"]
    assert (dl["met"], dl["expected_by"]) == (False, "2026-11-06")
    assert dl["promise"] and "2026-11-06" not in dl["promise"]
    assert dl["next_step"]["template"] == "deadline_promise_reminder"
    assert dl["next_step"]["at"] == "2026-11-10T09:00:00Z"

    assert scenario.once(on(10)) == 0
    [reminder] = received_nudges(smtp_server)
    assert reminder["To"].addresses[0].addr_spec == "jane@acme.example"
    assert str(reminder["Subject"]) == "Re: Logo drafts"
    assert str(reminder["In-Reply-To"]) == "<u1@studio>"
    assert expected in body(reminder)

    assert scenario.once(on(11)) == 0  # ONE reminder; min_gap keeps the ladder's step away
    assert len(received_nudges(smtp_server)) == 1
    with scenario.db() as db:
        rows = db.execute("SELECT template, step, status FROM outbox ORDER BY id").fetchall()
    assert rows == [("deadline_promise_reminder", 1, "sent")]
    capsys.readouterr()
    assert scenario.run("history", "Acme Ltd", capsys=capsys) == 0
    history = scenario.runs[-1][2]
    assert "deadline.promise  logo feedback expected by 2026-11-06: " in history
    assert "(by <p1@acme>)" in history


def test_the_feedback_before_then_ends_the_deadline_with_no_reminder(
    scenario: Scenario, imap_server: Any, smtp_server: Any, capsys: Any
) -> None:
    scenario.clients = acme()
    assert scenario.once(on(3, 9)) == 0
    promise(imap_server, PROMISES["en"][0], answer=False)
    assert scenario.once(on(4)) == 0
    feedback = mail(
        "Jane Smith <jane@acme.example>",
        ACCOUNT,
        "Re: Logo drafts",
        message_id="<f1@acme>",
        date=on(5, 16),
        body="Here is our feedback: we like the second draft best.\n",
    )
    imap_server.append("INBOX", feedback, internal_date=on(5, 16))
    for now in (on(6), on(9), on(10), on(11), on(20)):
        assert scenario.once(now) == 0
    assert received_nudges(smtp_server) == []
    [dl] = scenario.row(on(20), capsys, "Acme Ltd")["deadlines"]
    assert (dl["met"], dl["next_step"], dl["expected_by"]) == (True, None, None)


def test_a_promise_that_asks_nothing_gets_its_reminder_without_an_answer(
    scenario: Scenario, imap_server: Any, smtp_server: Any
) -> None:
    scenario.clients = acme()
    assert scenario.once(on(3, 9)) == 0
    promise(imap_server, PROMISES["en"][0], answer=False)
    for now in (on(6), on(9), on(10, 8)):
        assert scenario.once(now) == 0
    assert received_nudges(smtp_server) == []
    assert scenario.once(on(10)) == 0
    [reminder] = received_nudges(smtp_server)
    # no message of the user's to answer: the template's own subject
    assert str(reminder["Subject"]) == "Reminder: logo feedback"
    assert PROMISES["en"][1] in body(reminder)


def test_expect_sets_corrects_and_clears_a_deadline_s_day(
    scenario: Scenario, imap_server: Any, smtp_server: Any, capsys: Any
) -> None:
    scenario.clients = acme()
    assert scenario.once(on(3, 9)) == 0
    promise(imap_server, PROMISES["en"][0])
    assert scenario.once(on(4)) == 0
    # the user knows better: "Friday" meant next week's; a word of the deadline names it
    at = on(4, 12).isoformat()
    assert scenario.run("expect", "acme ltd", "logo", "--by", "2026-11-13", "--now", at) == 0
    assert scenario.run("expect", "Acme Ltd", "website", "--by", "2026-11-13") != 0
    for now in (on(10), on(13), on(16)):
        assert scenario.once(now) == 0
    assert received_nudges(smtp_server) == []
    assert scenario.once(on(17)) == 0  # Friday 13th ends, Monday the 16th of grace
    [reminder] = received_nudges(smtp_server)
    assert "by Friday 13 November" in body(reminder)

    at = on(17, 12).isoformat()
    assert scenario.run("expect", "Acme Ltd", "logo feedback", "--clear", "--now", at) == 0
    [dl] = scenario.row(on(17, 12), capsys, "Acme Ltd")["deadlines"]
    # no promise: the reply after the due date ends the deadline, as before
    assert (dl["expected_by"], dl["met"], dl["next_step"]) == (None, True, None)
