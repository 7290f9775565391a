"""imap_wire: a UID FETCH reply read in chunks gives exactly what imaplib gives, on
the same bytes, and leaves the connection as imaplib leaves it.

Each example plays one generated reply from a scripted server on 127.0.0.1
(tests/support/scripted_imap.py) to two real connections: one reads it with
imaplib's ``uid("FETCH")``, the other with ``imap_wire.uid_fetch`` through a socket
file with a buffer of a few bytes to 8 KB, so responses, lines and literals are cut
at every place. Compared: the result or the error (type and message), imaplib's
untagged and tagged state, and what a NOOP reads afterwards (nothing after the
tagged line was taken). A second property compares ``fetch_headers_reply`` with
imapclient's own ``fetch`` and parser.
"""

from __future__ import annotations

import imaplib
import re
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from imapclient import IMAPClient

from ghostwatch.adapters import imap_wire
from ghostwatch.adapters.imap_fetch import FetchReplyError, _from_parsed, fetch_headers_reply
from tests.support.scripted_imap import HOST, ScriptedImap

FIELDS = b"BODY[HEADER.FIELDS (FROM SUBJECT)]"
ITEMS = "(BODY.PEEK[HEADER.FIELDS (FROM SUBJECT)] INTERNALDATE RFC822.SIZE)"
HEADER = b"From: Nino <nino@acme.example>\r\nSubject: hi\r\n\r\n"
TAG = b"\x00TAG\x00"  # replaced by the command's tag when the reply is played
WIRE = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# literal bytes that look like protocol: a tagged line, a literal, a response, CR/LF
_TRICKY = st.sampled_from(
    [b"\r\n", b")\r\n", b"{5}\r\n", b"~{3}\r\n", b"* 9 FETCH (UID 9)\r\n", TAG + b" OK x\r\n",
     b"\x00", b"\xff\xfe", "ნინო ส".encode(), b"\n", b"\r", b"}", b"From: a\r\n b\r\n"]
)  # fmt: skip
_LITERAL = st.lists(st.one_of(_TRICKY, st.binary(max_size=40)), max_size=8).map(b"".join)
_DATE = st.sampled_from(
    [b"05-Jan-2026 10:00:00 +0000", b" 5-Jan-2026 17:00:00 +0700", b"31-Feb-2026 10:00:00 +0000",
     b"05-Jan-2026 10.00.00 +0000", b"29-Feb-2024 00:00:00 -1200"]
)  # fmt: skip


@st.composite
def fetch_response(draw: st.DrawFn) -> bytes:
    """A FETCH response of the header shape, or a near miss of it."""
    seq, uid = draw(st.integers(1, 40)), draw(st.integers(1, 40))
    literal = draw(_LITERAL)
    items = b'UID %d INTERNALDATE "%s" RFC822.SIZE %d ' % (uid, draw(_DATE), len(literal) + 9)
    items = draw(st.sampled_from([items, b"MODSEQ (4) " + items, items.lower(), b""]))
    after = draw(st.sampled_from([b")", b")", b")", b" FLAGS (\\Seen))", b" X {2}\r\nab)"]))
    body = draw(st.sampled_from([b"{%d}\r\n%s" % (len(literal), literal), b"~{%d}\r\n%s"
                                 % (len(literal), literal), b'""', b"NIL"]))  # fmt: skip
    return b"* %d FETCH (%s%s %s%s\r\n" % (seq, items, FIELDS, body, after)


_OTHER = st.sampled_from(
    [b"* 4 EXISTS\r\n", b"* 2 EXPUNGE\r\n", b"* 1 RECENT\r\n", b"* 3 FETCH (FLAGS (\\Seen))\r\n",
     b"* OK [ALERT] disk almost full\r\n", b"* NO [OVERQUOTA] over\r\n", b"* BYE going away\r\n",
     b"* CAPABILITY IMAP4rev1\r\n", b"+ go on\r\n", b"garbage\r\n", b"* 5 FETCH (UID 5\n",
     b"* 6 FETCH (UID 6 BODY[] {40}\r\nshort)\r\n", b"* 7 FETCH (UID 7)\r\n"]
)  # fmt: skip
_DONE = st.sampled_from(
    [TAG + b" OK Fetch completed.\r\n", TAG + b" OK [READ-ONLY] done\r\n",
     TAG + b" NO [SERVERBUG] failed\r\n", TAG + b" BAD unknown\r\n"]
)  # fmt: skip


@st.composite
def reply(draw: st.DrawFn) -> tuple[bytes, bool]:
    """A whole reply (responses, the tagged line, then what the server sends next),
    and whether the server hangs up after it (cutting it at some byte)."""
    responses = draw(st.lists(st.one_of(fetch_response(), fetch_response(), _OTHER), max_size=8))
    done = draw(_DONE)
    after = draw(st.sampled_from([b"", b"* 9 EXISTS\r\n", b"* 8 FETCH (FLAGS ())\r\n"]))
    data = b"".join(responses) + done + after
    cut = draw(st.none() | st.integers(0, len(data)))
    return (data if cut is None else data[:cut]), cut is not None


def play(data: bytes, hang_up: bool, read: Callable[[imaplib.IMAP4], Any], buffer: int) -> Any:
    """Run ``read`` on a fresh examined connection fed ``data``; return the outcome,
    imaplib's state after it, and what a NOOP then reads."""
    with ScriptedImap(lambda tag: data.replace(TAG, tag), close_after_fetch=hang_up) as server:
        imap = imaplib.IMAP4(HOST, server.port, timeout=10)
        try:
            imap.login("nino", "secret")
            imap.select("INBOX", readonly=True)
            _same_tags(imap)
            old, imap.file = imap.file, imap.sock.makefile("rb", buffering=buffer)  # type: ignore[assignment]
            old.close()  # the replies are cut at every place by a small buffer
            outcome = _outcome(lambda: read(imap))
            state = (imap.untagged_responses, imap.tagged_commands, imap.continuation_response)
            after = None
            if not hang_up and not isinstance(outcome[0], type):
                after = (_outcome(imap.noop), dict(imap.untagged_responses))
        finally:
            imap.shutdown()
    return outcome, _plain(state), after


def _same_tags(imap: imaplib.IMAP4) -> None:
    """Both connections tag their next command alike (imaplib picks a random prefix),
    so a reply that quotes the tag (in a literal, in an error) reads the same."""
    raw: Any = imap  # typeshed has these as str; imaplib uses bytes
    raw.tagpre = b"GWT"
    raw.tagre = re.compile(rb"(?P<tag>GWT\d+) (?P<type>[A-Z]+) (?P<data>.*)", re.ASCII)


def _outcome(fn: Callable[[], Any]) -> Any:
    try:
        return fn(), None
    except (imaplib.IMAP4.error, OSError) as exc:
        return type(exc), str(exc)


def _plain(value: Any) -> Any:
    """Tags differ between two connections; compare the rest."""
    untagged, tagged, continuation = value
    return dict(untagged), sorted(v for v in tagged.values() if v is not None), continuation


def imaplib_fetch(imap: imaplib.IMAP4) -> Any:
    return imap.uid("FETCH", "1:40", ITEMS)


def wire_fetch(imap: imaplib.IMAP4) -> Any:
    return imap_wire.uid_fetch(imap, "1:40", ITEMS)


@WIRE
@given(reply(), st.sampled_from([1, 2, 3, 7, 16, 100, 512, 8192]))
@example((b"* 1 FETCH (UID 1 " + FIELDS + b" {3}\r\nab", True), 8192)  # EOF in a literal
@example((b"* 1 FETCH (UID 1 " + FIELDS + b" {2}\r\nab)\r\n" + TAG + b" OK done\r\n", False), 1)
@example((b"* 1 FETCH (UID 1 " + FIELDS + b" {2}\r\nab)\r\n" + TAG + b" OK\r\n", False), 1)
def test_the_wire_reader_is_imaplib_on_the_same_bytes(
    case: tuple[bytes, bool], buffer: int
) -> None:
    data, hang_up = case
    assert play(data, hang_up, wire_fetch, buffer) == play(data, hang_up, imaplib_fetch, 8192)


def test_a_dovecot_batch_is_read_without_imaplib() -> None:
    """The common reply is read by the wire reader itself, not handed to imaplib
    (which would log each line to imapclient's imaplib logger)."""
    responses = b"".join(
        b'* %d FETCH (UID %d INTERNALDATE "05-Jan-2026 10:00:00 +0000" RFC822.SIZE 9 %s {%d}'
        b"\r\n%s)\r\n" % (n, n + 10, FIELDS, len(HEADER), HEADER)
        for n in range(1, 301)
    )
    data = responses + TAG + b" OK done\r\n"
    lines: list[str] = []
    with ScriptedImap(lambda tag: data.replace(TAG, tag)) as server:
        imap = imaplib.IMAP4(HOST, server.port, timeout=10)
        imap.login("nino", "secret")
        imap.select("INBOX", readonly=True)
        imap.debug = 5
        imap._mesg = lines.append  # type: ignore[attr-defined]  # imaplib's debug hook
        typ, got = imap_wire.uid_fetch(imap, "1:400", ITEMS)
        imap.shutdown()
    assert typ == "OK"
    assert len(got) == 600
    assert got[0] == (b'1 (UID 11 INTERNALDATE "05-Jan-2026 10:00:00 +0000" RFC822.SIZE 9 '
                      + FIELDS + b" {%d}" % len(HEADER), HEADER)  # fmt: skip
    assert [line for line in lines if "FETCH (UID" in line] == []


@pytest.mark.parametrize("buffer", [1, 8192])
def test_a_huge_literal_is_read_whole(buffer: int) -> None:
    header = b"References: " + b" <r@x>" * 400_000 + b"\r\n\r\n"
    data = b"* 1 FETCH (UID 1 %s {%d}\r\n%s)\r\n%s OK\r\n" % (FIELDS, len(header), header, TAG)
    assert play(data, False, wire_fetch, buffer) == play(data, False, imaplib_fetch, 8192)


# --- against imapclient's fetch and parser ------------------------------------------------


def imapclient_headers(data: bytes, hang_up: bool, wire: bool) -> Any:
    """FetchedHeaders for UIDs 1..40 read by fetch_headers_reply (``wire``) or by
    IMAPClient.fetch + its parser; an error as the word "error"."""
    with ScriptedImap(lambda tag: data.replace(TAG, tag), close_after_fetch=hang_up) as server:
        client = IMAPClient(HOST, server.port, ssl=False, timeout=10)
        client.normalise_times = False
        client.login("nino", "secret")
        client.select_folder("INBOX", readonly=True)
        uids = list(range(1, 41))
        items = [FIELDS.replace(b"BODY[", b"BODY.PEEK["), b"INTERNALDATE", b"RFC822.SIZE"]
        try:
            if wire:
                return fetch_headers_reply(client, uids, items)
            parsed = client.fetch(uids, items)
            return {uid: _from_parsed(uid, parsed[uid]) for uid in uids if uid in parsed}
        except (imaplib.IMAP4.error, OSError, FetchReplyError, ValueError):
            return "error"
        except Exception as exc:  # imapclient's own errors (IMAPClientError, ProtocolError)
            if type(exc).__module__.startswith("imapclient"):
                return "error"
            raise
        finally:
            client.shutdown()


@WIRE
@given(reply())
def test_fetch_headers_reply_gives_what_imapclient_gives(case: tuple[bytes, bool]) -> None:
    data, hang_up = case
    assert imapclient_headers(data, hang_up, True) == imapclient_headers(data, hang_up, False)


class _OwnReadline(imaplib.IMAP4):
    """An imaplib that reads lines its own way (as Python 3.14's keeps its own buffer)."""

    def readline(self) -> bytes:
        return super().readline()


def test_an_imaplib_that_reads_its_own_way_is_left_to_read() -> None:
    data = b"* 1 FETCH (UID 1 %s {%d}\r\n%s)\r\n%s OK done\r\n" % (FIELDS, len(HEADER), HEADER, TAG)
    lines: list[str] = []
    with ScriptedImap(lambda tag: data.replace(TAG, tag)) as server:
        imap = _OwnReadline(HOST, server.port, timeout=10)
        imap.login("nino", "secret")
        imap.select("INBOX", readonly=True)
        imap.debug = 5
        imap._mesg = lines.append  # type: ignore[attr-defined]
        got = imap_wire.uid_fetch(imap, "1", ITEMS)
        imap.shutdown()
    assert got == ("OK", [(b"1 (UID 1 " + FIELDS + b" {%d}" % len(HEADER), HEADER), b")"])
    assert any("FETCH (UID 1" in line for line in lines)  # imaplib read it, line by line
