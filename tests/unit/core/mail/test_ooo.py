"""parse_return_date: anchored return dates in many languages; ambiguity and range -> None."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ghostwatch.core.mail import ooo
from ghostwatch.core.mail.classify import parse_return_date

SENT = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)  # a Friday


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # English
        ("I am out of the office until Monday, December 3.", date(2026, 12, 3)),
        ("I'll be back on 3 Dec 2026.", date(2026, 12, 3)),
        ("Back in the office on December 3rd", date(2026, 12, 3)),
        ("Returning 2026-12-03", date(2026, 12, 3)),
        ("Away 1 - 5 December, limited access to email", date(2026, 12, 5)),
        ("Away from 28 November to 4 December", date(2026, 12, 4)),
        ("until 12/25", date(2026, 12, 25)),  # only the US reading is a date
        ("until 25/12/2026", date(2026, 12, 25)),
        ("Back on Jan 5", date(2027, 1, 5)),  # next occurrence after sent
        ("I'm on leave until November 20", date(2026, 11, 20)),  # the day it was sent
        # German
        ("Ich bin bis zum 03.12.2026 nicht im Büro.", date(2026, 12, 3)),
        ("Ich bin ab dem 4. Dezember wieder erreichbar.", date(2026, 12, 4)),
        ("Abwesend bis 3.12.", date(2026, 12, 3)),
        # French, Spanish, Italian, Portuguese, Dutch
        ("Je suis absent jusqu'au 3 décembre.", date(2026, 12, 3)),
        ("Je serai de retour le 4 décembre", date(2026, 12, 4)),
        ("Estaré fuera hasta el 3 de diciembre de 2026", date(2026, 12, 3)),
        ("Sono fuori sede fino al 3 dicembre", date(2026, 12, 3)),
        ("Estou ausente até 3 de dezembro", date(2026, 12, 3)),
        ("Ik ben afwezig tot en met 3 december", date(2026, 12, 3)),
        # Polish, Swedish, Finnish, Czech, Russian, Ukrainian, Turkish
        ("Jestem nieobecny do 3 grudnia", date(2026, 12, 3)),
        ("Jag är tillbaka 3 december", date(2026, 12, 3)),
        ("Olen lomalla 3.12.2026 asti", date(2026, 12, 3)),
        ("Jsem mimo kancelář do 3. prosince", date(2026, 12, 3)),
        ("Я в отпуске до 5 декабря", date(2026, 12, 5)),
        ("Я у відпустці до 5 грудня", date(2026, 12, 5)),
        ("3 Aralık'a kadar izindeyim", date(2026, 12, 3)),
        # Georgian: the "-მდე" suffix means "until"; "დავბრუნდები" = "I'll return"
        ("ოფისში არ ვიქნები 3 დეკემბრამდე", date(2026, 12, 3)),
        ("4 დეკემბერს დავბრუნდები", date(2026, 12, 4)),
        # Thai (Buddhist era year 2569 = 2026)
        ("ไม่อยู่ที่สำนักงานจนถึงวันที่ 3 ธันวาคม 2569", date(2026, 12, 3)),
        ("จะกลับมาวันที่ 4 ธ.ค.", date(2026, 12, 4)),
        # Japanese, Chinese, Korean
        ("12月3日まで不在にしております", date(2026, 12, 3)),
        ("我将于12月3日回来", date(2026, 12, 3)),
        ("12월 3일까지 부재중입니다", date(2026, 12, 3)),
        # None: ambiguous, unanchored, weekday only, past, beyond 90 days, empty
        ("back 1/12", None),  # 1 December or January 12: both plausible
        ("until 3/4/2027", None),  # both readings beyond 90 days anyway
        ("I'm back on Monday", None),
        ("I'm away from 1 December.", None),  # start of the absence, not the return
        ("Meeting on 3 December", None),
        ("until 3 December 2025", None),  # past
        ("until March 30", None),  # more than 90 days after sent
        ("until 10 November", None),  # next occurrence is a year away
        ("until 10.30 today", None),  # a time, not a date
        ("Ich bin ab dem 1.12. nicht im Büro", None),  # "ab" starts the absence
        ("until 31 February", None),
        ("", None),
    ],
)
def test_return_date(text, expected):
    assert parse_return_date(text, sent=SENT) == expected


def test_latest_of_several_anchored_dates():
    text = "Out until 3 December. Back in the office on 4 December."
    assert parse_return_date(text, sent=SENT) == date(2026, 12, 4)


def test_multilingual_notice_repeats_one_date():
    text = "Ich bin bis 3.12.2026 abwesend. I am away until 3 December 2026."
    assert parse_return_date(text, sent=SENT) == date(2026, 12, 3)


def test_window_edge_90_days():
    assert parse_return_date("until 18 February 2027", sent=SENT) == date(2027, 2, 18)
    assert parse_return_date("until 19 February 2027", sent=SENT) is None


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_never_raises(text):
    result = parse_return_date(text, sent=SENT)
    assert result is None or SENT.date() <= result


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # plain-text auto-replies are wrapped at ~72 columns by the sender's client
        ("I am out of the office until\n13 November 2026 with limited access.", date(2026, 11, 13)),
        ("I am out of the office until\r\n13 November 2026.", date(2026, 11, 13)),
        ("Ich bin bis\n  13.11.2026 nicht im Büro.", date(2026, 11, 13)),
        # a paragraph break still separates the anchor from an unrelated date
        ("I am out of the office until further notice.\n\n13 November 2026: party", None),
    ],
)
def test_wrapped_lines_keep_the_return_date(text: str, expected: date | None) -> None:
    sent = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    assert parse_return_date(text, sent=sent) == expected


# --- the prefix-tree alternation ----------------------------------------------------------

_WORD_LISTS = {
    "month names": list(ooo._NAME_TO_MONTH),
    "month stems": list(ooo._STEM_TO_MONTH),
    "prefix words": list(ooo._PREFIX_WORDS),
    "postfix words": list(ooo._POSTFIX),
}


def _flat(words: list[str]) -> str:
    """The alternation before the prefix tree: every word, longest first."""
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))


@pytest.mark.parametrize("name", sorted(_WORD_LISTS))
@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_prefix_tree_alternation_matches_what_the_flat_one_matches(
    name: str, data: st.DataObject
) -> None:
    """Same match, same length, also when what follows forces a backtrack (the month
    pattern's ``\\.?(?![^\\W\\d_])``): text made of word pieces, letters and dots."""
    words = _WORD_LISTS[name]
    pieces = st.sampled_from(words) | st.text(alphabet="aeiouy.- 5ніаbრთ", max_size=3)
    text = "".join(data.draw(st.lists(pieces, max_size=4)))
    for tail in ("", r"\.?(?![^\W\d_])"):
        tree = re.compile(f"(?:{ooo._alternation(words)}){tail}")
        flat = re.compile(f"(?:{_flat(words)}){tail}")
        for start in range(len(text) + 1):
            got, want = tree.match(text, start), flat.match(text, start)
            assert (got and got.group()) == (want and want.group()), (text, start)


def test_every_word_matches_whole() -> None:
    for words in _WORD_LISTS.values():
        tree = re.compile(f"(?:{ooo._alternation(words)})")
        assert all(tree.fullmatch(w) for w in words)
