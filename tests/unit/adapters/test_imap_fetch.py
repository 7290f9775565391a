"""imap_fetch: the fast FETCH reply reader agrees with imapclient's parser, or steps
aside. Replies are built in the shape imaplib hands over: a (line, literal) tuple
per literal, then the rest of the line as bytes."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from typing import Any

import pytest

from ghostwatch.adapters.imap_fetch import FetchedHeaders, FetchReplyError, read_fast, read_slow

FIELDS = b"BODY[HEADER.FIELDS (FROM SUBJECT MESSAGE-ID)]"
HEADER = b"From: Nino <nino@acme.example>\r\nSubject: hi\r\n\r\n"
GEORGIAN = "Subject: ინვოისი\r\nFrom: ნინო <n@x.example>\r\n\r\n".encode()


def response(
    seq: int,
    uid: int,
    *,
    header: bytes = HEADER,
    date: bytes = b"05-Jan-2026 10:00:00 +0000",
    size: int = 1234,
    extra: bytes = b"",
) -> list[Any]:
    prefix = b'%d (UID %d %sINTERNALDATE "%s" RFC822.SIZE %d %s {%d}' % (
        seq, uid, extra, date, size, FIELDS, len(header)
    )  # fmt: skip
    return [(prefix, header), b")"]


def both(data: list[Any]) -> dict[int, FetchedHeaders]:
    """Assert the fast path answers and agrees with imapclient's parser."""
    fast = read_fast(data)
    assert fast is not None, "expected the fast path to answer"
    assert fast == read_slow(data, fast)
    return fast


def test_dovecot_shape_is_read_fast_and_matches_imapclient() -> None:
    data = response(1, 41) + response(2, 42, header=GEORGIAN, extra=b"MODSEQ (7) ")

    got = both(data)

    assert got[41] == FetchedHeaders(41, datetime(2026, 1, 5, 10, tzinfo=UTC), 1234, HEADER)
    assert got[42].header == GEORGIAN


@pytest.mark.parametrize(
    ("stamp", "utc"),
    [
        (b" 5-Jan-2026 17:00:00 +0700", datetime(2026, 1, 5, 10, tzinfo=UTC)),
        (b"05-jan-2026 05:30:00 -0430", datetime(2026, 1, 5, 10, tzinfo=UTC)),
        (b"31-Dec-2025 23:59:59 -1200", datetime(2026, 1, 1, 11, 59, 59, tzinfo=UTC)),
        (b"29-Feb-2024 00:00:00 +0000", datetime(2024, 2, 29, tzinfo=UTC)),
    ],
)
def test_internaldate_zones_agree_with_imapclient(stamp: bytes, utc: datetime) -> None:
    got = both(response(1, 9, date=stamp))
    assert got[9].internal_date == utc
    assert got[9].internal_date.tzinfo is UTC


def test_items_in_another_order_and_lower_case_are_still_fast() -> None:
    prefix = b'3 (internaldate "05-Jan-2026 10:00:00 +0000" rfc822.size 77 uid 12 '
    prefix += FIELDS.lower() + b" {%d}" % len(HEADER)
    both([(prefix, HEADER), b")"])


def test_an_empty_header_block_is_fast() -> None:
    assert both(response(1, 5, header=b"\r\n"))[5].header == b"\r\n"


@pytest.mark.parametrize(
    "data",
    [
        # an unsolicited flag change from another session, mixed into the reply
        [*response(1, 41), b"2 (FLAGS (\\Seen))"],
        # the literal is not the last item
        [(b"1 (" + FIELDS + b" {%d}" % len(HEADER), HEADER),
         b' UID 41 INTERNALDATE "05-Jan-2026 10:00:00 +0000" RFC822.SIZE 9)'],
        # the header as a quoted string, or NIL
        [b'1 (UID 41 INTERNALDATE "05-Jan-2026 10:00:00 +0000" RFC822.SIZE 9 '
         + FIELDS + b' "")'],
        [b'1 (UID 41 INTERNALDATE "05-Jan-2026 10:00:00 +0000" RFC822.SIZE 9 ' + FIELDS + b" NIL)"],
        # an item the fast path does not know
        response(1, 41, extra=b"FLAGS (\\Seen) "),
        response(1, 41, extra=b"X-GM-MSGID 123 "),
        # a dotted time, which imapclient accepts
        response(1, 41, date=b"05-Jan-2026 10.00.00 +0000"),
    ],
)  # fmt: skip
def test_other_shapes_go_to_imapclient(data: list[Any]) -> None:
    assert read_fast(data) is None
    assert list(read_slow(data, [41])) == [41]  # and imapclient reads them


def test_two_responses_for_one_message_agree_with_imapclient() -> None:
    both(response(1, 41) + response(1, 41, size=99))


def test_a_missing_uid_or_size_goes_to_imapclient() -> None:
    no_uid = [(b'1 (INTERNALDATE "05-Jan-2026 10:00:00 +0000" RFC822.SIZE 9 ' + FIELDS
               + b" {%d}" % len(HEADER), HEADER), b")"]  # fmt: skip
    no_size = [(b'1 (UID 4 INTERNALDATE "05-Jan-2026 10:00:00 +0000" ' + FIELDS
                + b" {%d}" % len(HEADER), HEADER), b")"]  # fmt: skip
    assert read_fast(no_uid) is None
    assert read_fast(no_size) is None
    assert read_slow(no_size, [4])[4].size == 0


def test_a_literal_of_the_wrong_length_goes_to_imapclient() -> None:
    ((prefix, header), close) = response(1, 41)
    assert read_fast([(prefix.replace(b"{%d}" % len(header), b"{3}"), header), close]) is None


@pytest.mark.parametrize("stamp", [b"05-Jan-2026 10:00:00 +9959", b"01-Jan-0001 00:00:00 +0100"])
def test_an_out_of_range_zone_or_date_goes_to_imapclient(stamp: bytes) -> None:
    data = response(1, 41, date=stamp)
    assert read_fast(data) is None
    with contextlib.suppress(FetchReplyError):  # imapclient may refuse it too
        read_slow(data, [41])


def test_an_impossible_date_goes_to_imapclient_which_refuses_it() -> None:
    data = response(1, 41, date=b"31-Feb-2026 10:00:00 +0000")
    assert read_fast(data) is None
    with pytest.raises(FetchReplyError, match="INTERNALDATE"):
        read_slow(data, [41])


def test_no_internaldate_is_a_fetch_reply_error() -> None:
    data = [(b"1 (UID 41 RFC822.SIZE 9 " + FIELDS + b" {%d}" % len(HEADER), HEADER), b")"]
    assert read_fast(data) is None
    with pytest.raises(FetchReplyError, match="UID 41 has no usable INTERNALDATE"):
        read_slow(data, [41])


def test_an_empty_reply_is_empty() -> None:
    assert read_fast([]) == {}
    assert read_slow([], [1]) == {}
