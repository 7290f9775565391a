"""The subject-line tables are matched against a casefolded subject, at its start
(ghostwatch/core/mail/subject_prefixes.py, rules in classify): an entry that is not casefolded,
carries edge spaces or repeats is a word that never matches or is checked twice."""

from __future__ import annotations

import pytest

from ghostwatch.core.mail import classify
from ghostwatch.core.mail import subject_prefixes as subjects

TABLES = {
    "AUTO_REPLY_PREFIXES": subjects.AUTO_REPLY_PREFIXES,
    "AUTO_REPLY_WEAK_WORDS": subjects.AUTO_REPLY_WEAK_WORDS,
    "REPLY_MARKERS": subjects.REPLY_MARKERS,
    "BOUNCE_PREFIXES": subjects.BOUNCE_PREFIXES,
}


@pytest.mark.parametrize(
    "name",
    [
        "AUTO_REPLY_PREFIXES",
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


@pytest.mark.parametrize(
    "subject",
    ["Εκτός γραφείου: Re: Logo", "ΕΚΤΌΣ ΓΡΑΦΕΊΟΥ: Re: Logo", "Automatic reply: Re: Logo"],
)
def test_an_out_of_office_subject_is_read_as_one_whatever_its_letters(subject: str) -> None:
    # the Greek one never matched while its table entry kept the final sigma
    assert classify._auto_reply_subject(subject) is not None
