"""The subject-line tables are matched against a casefolded subject, at its start
(ghostwatch/core/mail/subjects.py, rules in classify): an entry that is not casefolded,
carries edge spaces or repeats is a word that never matches or is checked twice."""

from __future__ import annotations

import pytest

from ghostwatch.core.mail import subjects

TABLES = {
    "AUTO_REPLY_PREFIXES": subjects.AUTO_REPLY_PREFIXES,
    "AUTO_REPLY_WEAK_WORDS": subjects.AUTO_REPLY_WEAK_WORDS,
    "REPLY_MARKERS": subjects.REPLY_MARKERS,
    "BOUNCE_PREFIXES": subjects.BOUNCE_PREFIXES,
}


# A known bug, left for the core's owner (behaviour must not change in this step): the
# Greek "εκτός γραφείου" ends in a final sigma, which casefold() makes "σ", so a Greek
# out-of-office subject never matches it (classify._auto_reply_subject returns None).
GREEK_FINAL_SIGMA = pytest.mark.xfail(
    strict=True, reason="'εκτός γραφείου' is not casefolded: its final sigma never matches"
)


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("AUTO_REPLY_PREFIXES", marks=GREEK_FINAL_SIGMA),
        "AUTO_REPLY_WEAK_WORDS",
        "REPLY_MARKERS",
        "BOUNCE_PREFIXES",
    ],
)
def test_every_entry_is_casefolded_trimmed_and_listed_once(name: str) -> None:
    table = TABLES[name]
    assert table, name
    assert [w for w in table if w != w.casefold().strip() or not w] == []
    assert len(set(table)) == len(table)


def test_a_weak_word_is_not_also_a_strong_prefix() -> None:
    both = set(subjects.AUTO_REPLY_WEAK_WORDS) & set(subjects.AUTO_REPLY_PREFIXES)
    assert both == set()  # it would count as the whole subject's opening, always
