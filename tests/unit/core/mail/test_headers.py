"""headers._plain_fields (the parser-free fast path) answers exactly as the stdlib
compat32 parser does, or not at all."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from ghostwatch.core.mail import headers


def parser_fields(raw: bytes) -> dict[str, str]:
    """The reference: the stdlib path of ``_header_fields``."""
    out: dict[str, str] = {}
    for name, value in headers._PARSER.parsebytes(raw).raw_items():
        key = name.lower()
        if key in headers._WANTED and key not in out:
            out[key] = headers._unfold(value)
    return out


IMAP_BLOCK = (
    b"Message-ID: <1.abc@client01.example>\r\n"
    b"Date: Mon, 02 Jun 2025 11:25:52 +0000\r\n"
    b"From: =?utf-8?b?4YOc4YOY4YOc4YOdIOGDkeGDlOGDoOGDmOGDq+GDlA==?= <nino@client01.example>\r\n"
    b"To: me@studio.example\r\n"
    b"Subject: =?utf-8?b?4YOa4YOd4YOS4YOd4YOhIOGDkOGDruGDkOGDmuGDmCDhg5Xhg5Dhg6Dhg5jhg5A=?=\r\n"
    b" =?utf-8?b?4YOc4YOi4YOU4YOR4YOY?=\r\n"
    b"References: <a@x.example>\r\n\t<b@x.example>\r\n"
    b"Return-Path: <>\r\n"
    b"Subject: a second Subject is ignored\r\n"
    b"\r\n"
)


@pytest.mark.parametrize(
    "raw",
    [
        IMAP_BLOCK,
        IMAP_BLOCK[:-2],  # no blank line
        IMAP_BLOCK + b"Body: not a header\r\n",  # a whole message: the body is not read
        b"",
        b"\r\n",
        b"\r\nSubject: after the blank line\r\n",
        b"Subject:\r\n folded from an empty first line\r\n\r\n",
        b"Subject:   \t padded  \r\n\r\n",
        b"Subject: caf\xc3\xa9 \xff raw 8-bit\r\n\r\n",
        b"X-Unknown: skipped\r\n continuation of it\r\nTo: a@b.example\r\n\r\n",
        b"To: a@b.example\r\n\r\n \r\n",
    ],
)
def test_fast_path_answers_as_the_parser(raw: bytes) -> None:
    fast = headers._plain_fields(raw)
    assert fast is not None
    assert fast == parser_fields(raw)


@pytest.mark.parametrize(
    "raw",
    [
        b"From someone@example Mon Jun  2 11:25:52 2025\r\nSubject: mbox\r\n\r\n",
        b" leading continuation\r\nSubject: x\r\n\r\n",
        b"Subject: bare LF\nTo: a@b.example\n\n",
        b"Subject: bare CR\rTo: a@b.example\r\n\r\n",
        b"Subject : space before the colon\r\n\r\n",
        b": no name\r\nSubject: x\r\n\r\n",
        b"Subject: x\r\nnot a header line\r\nTo: a@b.example\r\n\r\n",
    ],
)
def test_unusual_input_goes_to_the_parser(raw: bytes) -> None:
    assert headers._plain_fields(raw) is None
    assert headers._header_fields(raw) == parser_fields(raw)


_NAMES = st.sampled_from(
    [b"Subject", b"SUBJECT", b"From", b"To", b"Cc", b"Message-ID", b"X-Other", b"Date",
     b"References", b"From ", b"Sub ject", b"", b"X\xc3\xa9"]
)  # fmt: skip
_VALUE = st.binary(max_size=30) | st.sampled_from(
    [b"", b" ", b"\t", b"=?utf-8?b?4YOa?= =?utf-8?b?4YOd?=", b"a@b.example, Name <c@d.example>"]
)
_LINE = st.one_of(
    st.tuples(_NAMES, st.sampled_from([b":", b": ", b":\t", b" :"]), _VALUE).map(b"".join),
    st.tuples(st.sampled_from([b" ", b"\t"]), _VALUE).map(b"".join),
    st.just(b""),
    st.binary(max_size=10),
)
_RAW = st.tuples(
    st.lists(_LINE, max_size=8), st.sampled_from([b"\r\n", b"\n", b"\r"]), st.booleans()
).map(lambda t: t[1].join(t[0]) + (t[1] if t[2] else b""))


# well-formed CRLF blocks (8-bit and odd bytes in values): the fast path answers them
_CLEAN_VALUE = st.binary(max_size=30).map(lambda v: v.replace(b"\r", b"").replace(b"\n", b""))
_CLEAN_LINE = st.one_of(
    st.tuples(_NAMES.filter(lambda n: n[:1].isalpha() and b" " not in n and n.isascii()),
              st.sampled_from([b":", b": ", b":\t"]), _CLEAN_VALUE).map(b"".join),
    st.tuples(st.sampled_from([b" ", b"\t"]), _CLEAN_VALUE).map(b"".join),
)  # fmt: skip
_CLEAN_RAW = st.lists(_CLEAN_LINE, min_size=1, max_size=8).map(
    lambda lines: b"\r\n".join([b"Subject: first", *lines]) + b"\r\n\r\n"
)


@settings(max_examples=500, deadline=None)
@given(_CLEAN_RAW)
def test_fast_path_answers_well_formed_blocks_as_the_parser(raw: bytes) -> None:
    fast = headers._plain_fields(raw)
    assert fast is not None
    assert fast == parser_fields(raw)


@settings(max_examples=1000, deadline=None)
@given(_RAW)
def test_fast_path_never_disagrees_with_the_parser(raw: bytes) -> None:
    fast = headers._plain_fields(raw)
    if fast is not None:
        assert fast == parser_fields(raw)
    assert headers._header_fields(raw) == parser_fields(raw)


def stdlib_date(value: str) -> object:
    """The reference for headers._plain_date: the stdlib path of ``_parse_date``."""
    from datetime import UTC
    from email.utils import parsedate_to_datetime

    try:
        parsed = parsedate_to_datetime(value)
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)
    except headers.PARSE_ERRORS:
        return None


@pytest.mark.parametrize(
    "value",
    [
        "Mon, 02 Jun 2025 11:50:00 +0200",
        "2 Jun 2025 11:50 -0000",
        "Tue, 1 Dec 2026 07:05:09 -0330 (NST)",
        "Mon, 02 jun 2025 11:50:00 +0275",  # minutes past 59: the stdlib adds them up
        " Mon, 02 Jun 2025 11:50:00 +0000 ",
    ],
)
def test_plain_date_answers_as_the_stdlib(value: str) -> None:
    fast = headers._plain_date(value)
    assert fast is not None
    assert fast == stdlib_date(value)


@pytest.mark.parametrize(
    "value",
    ["Mon, 31 Feb 2025 11:50:00 +0000", "Mon, 02 Jun 2025 24:00:00 +0000",
     "Mon, 02 Jun 2025 11:50:00 +9959", "Mon 02 Jun 2025 11:50:00 +0000",
     "02 June 2025 11:50:00 +0000", "Mon, 02 Jun 25 11:50:00 +0000",
     "Mon, 02 Jun 2025 11:50:00 GMT", "Mon, 02 Jun 2025 11:50:00 +0000 garbage"],
)  # fmt: skip
def test_plain_date_leaves_other_shapes_to_the_stdlib(value: str) -> None:
    assert headers._plain_date(value) is None
    assert headers._parse_date(value) == stdlib_date(value)


_DATE_PART = st.sampled_from(["", "Mon, ", "Xyz,", "Sun,  "])
_DATES = st.tuples(
    _DATE_PART,
    st.sampled_from(["1", "02", "28", "31", "0", "40"]),
    st.sampled_from(["Jan", "feb", "MAR", "Dec", "Foo"]),
    st.sampled_from(["2025", "1999", "0001", "9999", "10000"]),
    st.sampled_from(["00", "11", "23", "24"]),
    st.sampled_from(["00", "59", "60"]),
    st.sampled_from(["", ":00", ":59", ":60", ":7"]),
    st.sampled_from([" +0000", " -0000", " +0530", " -1200", " +2400", " +0099", "", " UT"]),
    st.sampled_from(["", " (UTC)", " ()", " x"]),
).map(lambda t: f"{t[0]}{t[1]} {t[2]} {t[3]} {t[4]}:{t[5]}{''.join(t[6:])}")


@settings(max_examples=1000, deadline=None)
@given(_DATES)
@example("1 Jan 0001 00:00 +0000")  # found by this test: the stdlib moves years < 100
def test_plain_date_never_disagrees_with_the_stdlib(value: str) -> None:
    fast = headers._plain_date(value)
    if fast is not None:
        assert fast == stdlib_date(value)
    assert headers._parse_date(value) == stdlib_date(value)


_NAME_TEXT = st.text(alphabet=' ,.;:()<>@"\\\tabcნთ', max_size=12)
_ADDR_TEXT = st.text(alphabet=' ,.;:()<>@"\\xyzნ', min_size=0, max_size=10)
_QUOTED = st.one_of(
    st.tuples(_NAME_TEXT, st.sampled_from(["", " ", "  "]), _ADDR_TEXT).map(
        lambda t: f'"{t[0]}"{t[1]}<{t[2]}>'
    ),
    st.tuples(_NAME_TEXT, _ADDR_TEXT).map(lambda t: f' "{t[0]}" <{t[1]}@x.example> '),
)


@settings(max_examples=1000, deadline=None)
@given(_QUOTED)
@example('"Keller, Anna" <anna@client01.example>')
@example('"Design Weekly" <list@design-weekly.lists.example>')
def test_quoted_mailbox_fast_path_answers_as_getaddresses(value: str) -> None:
    from email.utils import getaddresses

    if headers._QUOTED_MAILBOX.fullmatch(value) is not None:
        assert headers._address_pairs(value) == getaddresses([value])
