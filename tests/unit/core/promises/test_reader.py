"""Promises in client replies: one table per rule (ghostwatch/core/promises/reader.py, dates.py).

Reference days: 2026-11-18 is a Wednesday, 2026-11-20 a Friday, 2026-12-31 a Thursday.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ghostwatch.core.promises import reader as promises
from ghostwatch.core.promises.dates import find_dates
from ghostwatch.core.promises.reader import Promise, expected_by, find_promises, new_text, sentences

WED = date(2026, 11, 18)
FRI = date(2026, 11, 20)
NYE = date(2026, 12, 31)
PACKAGE = Path(__file__).parents[4] / "ghostwatch"


def day(text: str, today: date, language: str = "en") -> date | None:
    """The one date ``text`` names (None if none)."""
    hits = find_dates(text, today=today, language=language)
    assert len(hits) <= 1, hits
    return hits[0].by if hits else None


@pytest.mark.parametrize(
    ("text", "today", "expected"),
    [
        ("Friday", WED, date(2026, 11, 20)),
        ("on Friday", FRI, date(2026, 11, 20)),  # said on a Friday: today
        ("this Friday", WED, date(2026, 11, 20)),
        ("next Friday", WED, date(2026, 11, 27)),
        ("next Friday", FRI, date(2026, 11, 27)),
        ("Monday", WED, date(2026, 11, 23)),
        ("next Monday", WED, date(2026, 11, 23)),
        ("Friday", NYE, date(2027, 1, 1)),  # across the year's end
    ],
)
def test_rule1_weekdays(text: str, today: date, expected: date) -> None:
    assert day(text, today) == expected


@pytest.mark.parametrize(
    ("text", "today", "expected"),
    [
        ("today", WED, date(2026, 11, 18)),
        ("by end of day", WED, date(2026, 11, 18)),
        ("tomorrow", WED, date(2026, 11, 19)),
        ("tomorrow", NYE, date(2027, 1, 1)),
        ("the day after tomorrow", WED, date(2026, 11, 20)),
        ("in 3 days", WED, date(2026, 11, 21)),
        ("within two weeks", WED, date(2026, 12, 2)),
        ("in a couple of days", WED, date(2026, 11, 20)),
    ],
)
def test_rule2_relative_days(text: str, today: date, expected: date) -> None:
    assert day(text, today) == expected


@pytest.mark.parametrize(
    ("text", "today", "expected"),
    [
        ("this week", WED, date(2026, 11, 20)),
        ("by the end of the week", date(2026, 11, 21), date(2026, 11, 21)),  # Saturday: today
        ("next week", WED, date(2026, 11, 27)),
        ("next week", date(2026, 11, 22), date(2026, 11, 27)),  # Sunday: the week from Monday
        ("early next week", WED, date(2026, 11, 24)),
        ("next week", NYE, date(2027, 1, 8)),
    ],
)
def test_rule3_weeks(text: str, today: date, expected: date) -> None:
    assert day(text, today) == expected


@pytest.mark.parametrize(
    ("text", "today", "expected"),
    [
        ("by the end of the month", WED, date(2026, 11, 30)),
        ("by the end of the month", NYE, date(2026, 12, 31)),  # on the 31st: today
        ("next month", NYE, date(2027, 1, 31)),
        ("at the beginning of next month", WED, date(2026, 12, 5)),
        ("by the end of January", NYE, date(2027, 1, 31)),
        ("by month-end", date(2027, 2, 3), date(2027, 2, 28)),
    ],
)
def test_rule4_months(text: str, today: date, expected: date) -> None:
    assert day(text, today) == expected


@pytest.mark.parametrize(
    ("text", "today", "expected"),
    [
        ("by the 15th", WED, date(2026, 12, 15)),
        ("on the 20th", WED, date(2026, 11, 20)),
        ("by the 18th", WED, date(2026, 11, 18)),
        ("the 31st", date(2026, 11, 5), date(2026, 11, 30)),  # a short month: its last day
        ("by the 5th", NYE, date(2027, 1, 5)),
    ],
)
def test_rule5_days_of_the_month(text: str, today: date, expected: date) -> None:
    assert day(text, today) == expected


@pytest.mark.parametrize(
    ("text", "today", "language", "expected"),
    [
        ("25 November", WED, "en", date(2026, 11, 25)),
        ("Nov 25th", WED, "en", date(2026, 11, 25)),
        ("25 Nov 2026", WED, "en", date(2026, 11, 25)),
        ("2026-11-25", WED, "en", date(2026, 11, 25)),
        ("25.11.2026", WED, "de", date(2026, 11, 25)),
        ("am 25.11.", WED, "de", date(2026, 11, 25)),
        ("05/12", WED, "en", date(2026, 12, 5)),  # day first
        ("12/25", WED, "en", date(2026, 12, 25)),  # a second number above 12: month first
        ("5 Jan", date(2026, 12, 28), "en", date(2027, 1, 5)),  # nearest: next year
        ("15 ธันวาคม 2569", WED, "th", date(2026, 12, 15)),  # Buddhist era
        ("๑๕ ธ.ค. ๖๙", WED, "th", date(2026, 12, 15)),  # Thai digits, two-digit era year
        ("25/11/2569", WED, "th", date(2026, 11, 25)),
        ("15 დეკემბრამდე", WED, "ka", date(2026, 12, 15)),
        ("15 декабря", WED, "ru", date(2026, 12, 15)),
        ("le 15 décembre", WED, "fr", date(2026, 12, 15)),
    ],
)
def test_rule6_explicit_dates(text: str, today: date, language: str, expected: date) -> None:
    assert day(text, today, language) == expected


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("after the 15th", "en", date(2026, 12, 16)),
        ("before Friday", "en", date(2026, 11, 19)),
        ("before the end of the month", "en", date(2026, 11, 30)),  # a period's end: unmoved
        ("15-ის შემდეგ", "ka", date(2026, 12, 16)),
        ("หลังวันที่ 15", "th", date(2026, 12, 16)),
        ("nach dem 15.", "de", date(2026, 12, 16)),
    ],
)
def test_rule7_prepositions(text: str, language: str, expected: date) -> None:
    assert day(text, WED, language) == expected


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("ორშაბათს", "ka", date(2026, 11, 23)),
        ("ორშაბათამდე", "ka", date(2026, 11, 23)),
        ("ორშაბათისთვის", "ka", date(2026, 11, 23)),
        ("მომავალ პარასკევს", "ka", date(2026, 11, 27)),
        ("კვირას", "ka", date(2026, 11, 22)),  # Sunday in this form
        ("მომავალ კვირას", "ka", date(2026, 11, 27)),  # "next week" in this one
        ("ხვალ", "ka", date(2026, 11, 19)),
        ("თვის ბოლომდე", "ka", date(2026, 11, 30)),
        ("วันศุกร์นี้", "th", date(2026, 11, 20)),
        ("วันศุกร์หน้า", "th", date(2026, 11, 27)),
        ("อาทิตย์หน้า", "th", date(2026, 11, 27)),  # next week, not Sunday
        ("วันอาทิตย์", "th", date(2026, 11, 22)),
        ("สิ้นเดือนนี้", "th", date(2026, 11, 30)),
        ("до пятницы", "ru", date(2026, 11, 20)),
        ("vendredi prochain", "fr", date(2026, 11, 27)),
        ("nächste Woche", "de", date(2026, 11, 27)),
    ],
)
def test_local_forms(text: str, language: str, expected: date) -> None:
    assert day(text, WED, language) == expected


@pytest.mark.parametrize(
    ("text", "today", "language"),
    [
        ("yesterday", WED, "en"),
        ("last Friday", WED, "en"),
        ("20 Nov", date(2026, 12, 1), "en"),
        ("2026-11-02", WED, "en"),
        ("გუშინ", WED, "ka"),
        ("เมื่อวาน", WED, "th"),
    ],
)
def test_a_past_day_is_marked_past(text: str, today: date, language: str) -> None:
    hits = find_dates(text, today=today, language=language)
    assert len(hits) == 1 and hits[0].past


@pytest.mark.parametrize(
    ("text", "language", "kind", "expected"),
    [
        ("I'll pay on Friday.", "en", "payment", date(2026, 11, 20)),
        ("We'll send the payment on Monday.", "en", "payment", date(2026, 11, 23)),
        ("I'll send the files on Monday.", "en", "delivery", date(2026, 11, 23)),
        ("It will be paid by the 25th.", "en", "payment", date(2026, 11, 25)),
        ("ორშაბათს გადავიხდი.", "ka", "payment", date(2026, 11, 23)),
        ("ხვალ გამოგიგზავნით.", "ka", "delivery", date(2026, 11, 19)),
        ("จะโอนให้ภายในวันศุกร์นี้", "th", "payment", date(2026, 11, 20)),
        ("Wir überweisen bis Freitag.", "de", "payment", date(2026, 11, 20)),
        ("Je vais payer vendredi.", "fr", "payment", date(2026, 11, 20)),
        ("Оплатим в пятницу.", "ru", "payment", date(2026, 11, 20)),
        ("Оплату отправим в пятницу.", "ru", "payment", date(2026, 11, 20)),
        ("accounting says the 1,200 GEL goes out friday", "en", "payment", date(2026, 11, 20)),
        ("Our payment run is Monday, you'll receive it then.", "en", "payment", date(2026, 11, 23)),
        ("Please note that we will pay on Friday.", "en", "payment", date(2026, 11, 20)),
    ],
)
def test_rule3_a_dated_verb_is_a_promise(
    text: str, language: str, kind: str, expected: date
) -> None:
    assert find_promises(text, today=WED, language=language) == [
        Promise(kind, expected, text, None)
    ]


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("I paid yesterday.", "en"),  # a past day
        ("I paid on Friday.", "en"),  # a past verb
        ("We transferred the money last Friday.", "en"),
        ("The payment went through on Monday.", "en"),
        ("We can't pay until Friday.", "en"),  # negated
        ("I don't think we can pay this week.", "en"),
        ("If the client pays us by Friday, we'll pay you.", "en"),  # conditional
        ("Friday works for the call.", "en"),  # no verb
        ("Let's discuss the payment on the call on Friday.", "en"),  # the call's date
        ("I'm out of office until Monday, I'll pay when I'm back.", "en"),
        ("Can you pay by Friday?", "en"),  # a question
        ("Thanks for sending the invoice on Friday.", "en"),
        ("Please send me the updated invoice by Friday.", "en"),  # a request
        ("გთხოვთ, გადაიხადოთ პარასკევამდე.", "ka"),  # "please pay by Friday"
        ("รบกวนโอนภายในวันศุกร์นี้นะคะ", "th"),
        ("ხვალ დაგირეკავთ გადახდასთან დაკავშირებით.", "ka"),  # a call about the payment
        ("I'll pay on Friday, not Monday.", "en"),  # Friday only (checked below)
        ("გუშინ გადავიხადე.", "ka"),
        ("ვერ გადავიხდით ორშაბათამდე.", "ka"),
        ("უკვე გადმოგირიცხეთ ორშაბათს.", "ka"),
        ("โอนให้แล้วเมื่อวันศุกร์ค่ะ", "th"),
        ("ไม่สามารถโอนได้วันศุกร์นี้ค่ะ", "th"),
        ("โอนได้วันศุกร์ไหมคะ", "th"),
        ("Wir haben am Montag bezahlt.", "de"),
        ("Nous ne pouvons pas payer vendredi.", "fr"),
        ("Я оплатил в пятницу.", "ru"),
        ("หากลูกค้าอนุมัติวันจันทร์ จะโอนให้วันพุธค่ะ", "th"),  # if approved Monday, Wednesday
    ],
)
def test_rule4_what_is_not_a_promise(text: str, language: str) -> None:
    found = find_promises(text, today=WED, language=language)
    if "not Monday" in text:
        assert [p.by for p in found] == [date(2026, 11, 20)]
    else:
        assert found == []


def test_rule5_the_latest_day_per_kind_and_sentence() -> None:
    text = "We'll pay on Monday or Tuesday at the latest, and send the files tomorrow."
    found = find_promises(text, today=WED, language="en")
    assert [(p.kind, p.by) for p in found] == [
        ("payment", date(2026, 11, 24)),
        ("delivery", date(2026, 11, 19)),
    ]


@pytest.mark.parametrize(
    ("text", "invoices", "expected"),
    [
        ("We'll pay INV-2026-014 on Friday.", ("INV-2026-014", "INV-2026-015"), "INV-2026-014"),
        ("We'll pay inv 2026 015 on Friday.", ("INV-2026-014", "INV-2026-015"), "INV-2026-015"),
        ("Invoice #15 will be paid Friday.", ("INV-2026-014", "INV-2026-015"), "INV-2026-015"),
        ("We'll pay it on Friday.", ("INV-2026-014",), None),  # names none
        ("About INV-7.\nWe'll pay it on Friday.", ("INV-7", "INV-8"), "INV-7"),  # elsewhere
        ("We'll pay INV-12 on Friday.", ("INV-1", "INV-2"), None),  # INV-1 is not INV-12
        ("INV-8 will be paid Friday; INV-7 is on hold.", ("INV-7", "INV-8"), "INV-8"),
    ],
)
def test_rule6_the_invoice_a_promise_names(
    text: str, invoices: tuple[str, ...], expected: str | None
) -> None:
    found = find_promises(text, today=WED, language="en", open_invoices=invoices)
    assert [p.invoice for p in found] == [expected]


def test_rule6_expected_by_uses_the_named_or_the_only_open_invoice() -> None:
    friday, monday = date(2026, 11, 20), date(2026, 11, 23)
    named = Promise("payment", friday, "s", "INV-2")
    unnamed = Promise("payment", monday, "s", None)
    delivery = Promise("delivery", monday, "s", None)
    assert expected_by([named], ["INV-1", "INV-2"]) == {"INV-2": friday}
    assert expected_by([unnamed], ["INV-1"]) == {"INV-1": monday}
    assert expected_by([unnamed], ["INV-1", "INV-2"]) == {}  # which one: nobody can tell
    assert expected_by([delivery], ["INV-1"]) == {}
    assert expected_by([named], ["INV-1"]) == {}  # no longer open


def test_the_sentence_is_quoted_on_one_line() -> None:
    text = (
        "Hi Nino,\nSorry for the slow reply, the end of the year is always chaotic and\n"
        "we will pay on Friday, promise!\nJane"
    )
    found = find_promises(new_text(text, "en"), today=WED, language="en")
    assert [p.sentence for p in found] == [
        "Sorry for the slow reply, the end of the year is always chaotic and "
        "we will pay on Friday, promise!"
    ]


@pytest.mark.parametrize(
    ("body", "language", "expected"),
    [
        ("I'll pay Friday.\n\nOn Mon, 16 Nov 2026 at 10:02, Nino <n@x.example> wrote:\n> Pay?",
         "en", "I'll pay Friday."),
        ("Paying Friday.\n-- \nJane | Acme\n+1 555 0100", "en", "Paying Friday."),
        ("Thanks, we'll pay Friday.\nThanks,\nJane", "en", "Thanks, we'll pay Friday."),
        ("Will pay Friday.\n\nSent from my iPhone", "en", "Will pay Friday."),
        ("Paying Friday.\n> older text", "en", "Paying Friday."),
        ("ორშაბათს გადავიხდი.\n\n2026-11-16, Nino <n@x.example> წერს:\n> ტექსტი", "ka",
         "ორშაბათს გადავიხდი."),
        ("ორშაბათს გადავიხდი.\n\nპატივისცემით,\nგიორგი", "ka", "ორშაბათს გადავიხდი."),
        ("จะโอนวันศุกร์ค่ะ\n\nขอบคุณค่ะ\nสมศรี", "th", "จะโอนวันศุกร์ค่ะ"),
        ("จะโอนวันศุกร์\nเมื่อ 16 พ.ย. 2569 Nino <n@x.example> เขียนว่า:\n> ข้อความ", "th",
         "จะโอนวันศุกร์"),
        ("Wir zahlen Freitag.\n\nAm 16.11.2026 um 10:02 schrieb Nino <n@x.example>:\n> Text",
         "de", "Wir zahlen Freitag."),
        ("Оплатим в пятницу.\n\n16.11.2026, Nino <n@x.example> написал:\n> текст", "ru",
         "Оплатим в пятницу."),
        ("Thanks!\nWe'll pay on Friday.\nBest,\nJane", "en", "Thanks!\nWe'll pay on Friday."),
        ("Спасибо!\nОплатим в пятницу.", "ru", "Спасибо!\nОплатим в пятницу."),
        ("> Could you pay by Monday?\nWe'll pay Friday.\n> Thanks", "en", "We'll pay Friday."),
        ("", "en", ""),
    ],
)  # fmt: skip
def test_rule1_new_text(body: str, language: str, expected: str) -> None:
    assert new_text(body, language) == expected


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("Sorry! I'll pay on 20.11. Thanks.", "en", ["Sorry!", "I'll pay on 20.11.", "Thanks."]),
        ("We pay Nov. 20 as agreed.", "en", ["We pay Nov. 20 as agreed."]),
        ("ยังไม่ได้โอนค่ะ จะโอนวันศุกร์", "th", ["ยังไม่ได้โอนค่ะ", "จะโอนวันศุกร์"]),
        ("จะโอนให้วันที่ 15 ธันวาคม ค่ะ", "th", ["จะโอนให้วันที่ 15 ธันวาคม ค่ะ"]),
        # a semicolon ends a sentence: each half names its own invoice
        ("INV-2 is paid Friday; INV-1 waits.", "en", ["INV-2 is paid Friday;", "INV-1 waits."]),
        # a Thai condition keeps its consequence ("if ... approves Monday, (we) will ...")
        ("หากลูกค้าอนุมัติ จะโอนวันศุกร์", "th", ["หากลูกค้าอนุมัติ จะโอนวันศุกร์"]),
    ],
)
def test_rule2_sentences(text: str, language: str, expected: list[str]) -> None:
    assert [s for _, s in sentences(text, language)] == expected


_PIECES = [
    "I'll pay",
    "on Friday",
    "by the 15th",
    "next week",
    "paid",
    "not",
    "?",
    ".",
    "\n",
    " ",
    "ორშაბათს",
    "გადავიხდი",
    "จะโอน",
    "วันที่ ๑๕",
    "2569",
    "31.12.",
    "12/31",
    "tomorrow",
    "INV-1",
    "> ",
    "-- \n",
    "On Mon, Nino wrote:\n",
    "ვერ",
    "แล้ว",
    "after",
    "before",
]


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    parts=st.lists(st.sampled_from(_PIECES) | st.text(max_size=8), max_size=14),
    today=st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)),
    language=st.sampled_from(["en", "ka", "th", "de", "fr", "ru", "xx"]),
)
def test_any_text_gives_future_one_line_promises(
    parts: list[str], today: date, language: str
) -> None:
    body = "".join(parts)
    text = new_text(body, language)
    for promise in find_promises(text, today=today, language=language, open_invoices=["INV-1"]):
        assert promise.by >= today
        assert promise.kind in {"payment", "delivery"}
        assert "\n" not in promise.sentence and promise.sentence.strip() == promise.sentence
        assert set(promise.sentence.split()) <= set(text.split())


def test_the_bench_runs() -> None:
    bench = PACKAGE.parent / "bench" / "promises.py"
    done = subprocess.run(
        [sys.executable, str(bench), "--rounds", "1"],
        capture_output=True,
        text=True,
        timeout=110,
        check=True,
    )
    assert "| what" in done.stdout and "| ratio" in done.stdout
    assert "command: `.venv/bin/python bench/promises.py`" in done.stdout


@pytest.mark.parametrize(
    ("text", "asks"),
    [
        ("Sorry for the delay! I'll pay on Friday.", False),
        ("We'll pay on Friday. Could you resend the invoice?", True),
        ("I'll pay on Friday, please send the bank details again", True),
        ("ვიხდი პარასკევს.", False),
        ("პარასკევს გადავიხდით. გთხოვთ, ინვოისი თავიდან გამოგზავნოთ", True),
        ("จะโอนให้วันศุกร์นี้ครับ", False),
        ("จะโอนวันศุกร์นะคะ ส่งใบแจ้งหนี้ใหม่ได้ไหมคะ", True),
        ("Wir zahlen am Freitag. Bitte schicken Sie die Rechnung erneut", True),
    ],
)
def test_a_reply_asks_something_beyond_its_promise(text: str, asks: bool) -> None:
    assert promises.asks_something(text) is asks


# --- Rule 19: which deadline a promise to deliver sets ----------------------------------


def _delivery(sentence: str) -> list[Promise]:
    return find_promises(sentence, today=WED, language="en")


def test_a_delivery_promise_sets_the_deadline_it_names_or_the_only_one() -> None:
    said = _delivery("I'll send the logo feedback on Friday.")
    assert set(promises.deadline_promises(said, ["logo feedback", "website copy"])) == {
        "logo feedback"
    }
    plain = _delivery("I'll send it on Friday.")
    assert set(promises.deadline_promises(plain, ["logo feedback"])) == {"logo feedback"}
    # several deadlines and none named, or two named: nothing is guessed
    assert promises.deadline_promises(plain, ["logo feedback", "website copy"]) == {}
    both = _delivery("I'll send the logo and the website texts on Friday.")
    assert promises.deadline_promises(both, ["logo feedback", "website copy"]) == {}
    # a word both deadlines share names neither
    shared = _delivery("I'll send the feedback on Friday.")
    assert promises.deadline_promises(shared, ["logo feedback", "copy feedback"]) == {}


def test_a_payment_promise_sets_no_deadline() -> None:
    paid = find_promises("We'll pay the logo invoice on Friday.", today=WED, language="en")
    assert paid and promises.deadline_promises(paid, ["logo feedback"]) == {}


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        # a due date stated is not a promise (Georgian ვადა, Thai ครบกำหนด, as "due")
        ("ხელშეკრულებით გადახდის ვადა 15 დეკემბერია.", "ka", None),
        ("งวดนี้ครบกำหนดชำระวันที่ 15 ธ.ค. ใช่ไหมคะ", "th", None),
        # a Thai month abbreviation's dot ends no sentence: the question stays one
        ("จะโอนให้วันที่ 15 ธ.ค. ได้ไหมคะ", "th", None),
        # the Georgian passive "will be credited to you" is a payment
        ("თანხა ხვალ ჩაგერიცხებათ.", "ka", date(2026, 11, 19)),
    ],
)
def test_blind_batch_3_classes(text: str, language: str, expected: date | None) -> None:
    """The classes of held-out 3's errors (docs/promises.md), in sentences of their own."""
    found = find_promises(text, today=WED, language=language)
    assert [p.by for p in found] == ([expected] if expected else [])
