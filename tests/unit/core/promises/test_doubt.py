"""Rule 17: what the reader refuses as too uncertain (ghostwatch/core/promises/doubt.py).

Each class of doubt has its sentences, and a look-alike that stays a promise, so that a
class made too wide (or removed) fails here. Reference day: 2026-11-18, a Wednesday.
"""

from __future__ import annotations

from datetime import date

import pytest

from ghostwatch.core.promises.dates import find_dates
from ghostwatch.core.promises.doubt import doubt
from ghostwatch.core.promises.reader import find_promises
from ghostwatch.core.promises.verbs import find_verbs

WED = date(2026, 11, 18)


def why(sentence: str, language: str = "en") -> str | None:
    """The doubt of the sentence's one verb and its last date."""
    verbs = find_verbs(sentence, language)
    dates = find_dates(sentence, today=WED, language=language)
    assert verbs and dates, (verbs, dates)
    before = [v for v in verbs if v.end <= dates[-1].start] or verbs
    return doubt(sentence, before[-1], dates[-1], language)


@pytest.mark.parametrize(
    ("sentence", "language", "expected"),
    [
        ("We'd pay by Friday if the credit note were ready.", "en", "hypothetical"),
        ("Maybe we can send the signed contract by Monday.", "en", "hypothetical"),
        ("I might be able to pay by the 30th.", "en", "hypothetical"),
        ("Hopefully we can pay on Wednesday.", "en", "hypothetical"),
        ("ალბათ პარასკევს გადაგიხდით.", "ka", "hypothetical"),
        ("อาจจะโอนให้วันศุกร์นะคะ", "th", "hypothetical"),
        ("Vielleicht können wir am Freitag zahlen.", "de", "hypothetical"),
        ("Nous pourrions payer vendredi.", "fr", "hypothetical"),
        ("Возможно, оплатим в пятницу.", "ru", "hypothetical"),
        ("I'll pay on Friday, probably.", "en", "hypothetical"),
        ("จะโอนวันศุกร์มั้งคะ", "th", "hypothetical"),
        ("პარასკევს გადაგიხდით ალბათ.", "ka", "hypothetical"),
        ("I'll send the files on Monday if the client approves them.", "en", "condition_after"),
        ("პარასკევს გადაგიხდით, თუ ბუღალტერია დაადასტურებს.", "ka", "condition_after"),
        ("You said you'd send the final files on Monday.", "en", "reported"),
        ("คุณบอกว่าจะส่งไฟล์ให้วันจันทร์", "th", "reported"),
        ("Our client will pay us on Friday.", "en", "third_party"),
        ("We should get paid by our customer next week.", "en", "third_party"),
        ("The invoice will be paid by head office on Monday.", "en", "third_party"),
        ("ลูกค้าจะโอนเงินให้เราวันศุกร์ค่ะ", "th", "third_party"),
        ("Could you give us until Monday to pay", "en", "request_to_wait"),
        (
            "Please bear with us until the end of the month for the transfer.",
            "en",
            "request_to_wait",
        ),
        ("I was going to pay on Friday, but the card was blocked.", "en", "future_in_past"),
        ("Wir wollten am Freitag zahlen, aber die Bank hatte Probleme.", "de", "future_in_past"),
        ("Payment won't go out before Friday.", "en", "negated"),
        ("Not sure we can pay by the 30th.", "en", "negated"),
        ("ვერ დაგპირდებით, რომ პარასკევს გადაგიხდით.", "ka", "negated"),
        ("We'll pay the invoice, our board meets on Friday.", "en", "other_clause"),
        # look-alikes that stay promises
        ("I'll pay on Friday if that's OK with you.", "en", None),
        ("I'll pay by Friday at the latest, if not sooner.", "en", None),
        ("You'll be paid on Friday.", "en", None),
        ("Sorry for the delay, we'll pay on Friday.", "en", None),
        ("Our bank transfer will go out Friday.", "en", None),
        ("I'll send the feedback, latest by Friday.", "en", None),
        ("Nous pourrons payer vendredi.", "fr", None),
        ("გადახდა პარასკევისთვის იქნება.", "ka", None),  # იქნება "will be", not იქნებ
        ("อาจารย์จะส่งฟีดแบ็กให้วันศุกร์ค่ะ", "th", None),  # อาจารย์ "professor", not อาจ
        ("We'll pay it all at once on Friday.", "en", None),
        ("ฝ่ายบัญชีแจ้งว่าจะโอนให้วันศุกร์ที่ 20 นี้ค่ะ", "th", None),
    ],
)
def test_each_class_of_doubt_is_refused_and_its_look_alike_is_not(
    sentence: str, language: str, expected: str | None
) -> None:
    assert why(sentence, language) == expected
    found = find_promises(sentence, today=WED, language=language)
    assert bool(found) is (expected is None)


def test_a_doubt_never_raises_on_odd_text() -> None:
    for text in ("", "pay", "Friday", "?" * 50, "if if if pay Friday when"):
        assert isinstance(find_promises(text, today=WED, language="en"), list)
