"""``UID FETCH`` on imaplib's own connection, its reply read in 8 KB chunks.

Why (hand-written for speed, so measured against the library it stands in for):
imaplib reads a reply one line at a time and runs up to five regular expressions,
two debug-log calls and an append for every line. For the scan's 1,000-message
header batches on the bench mailbox (Dovecot on loopback, 20,000 messages, CPU time
of the reading thread): imapclient's ``fetch`` (imaplib + its parser) 160-200 us per
message; imaplib + ``imap_fetch.read_fast`` 60-75 us; this reader + ``read_fast``
24-33 us; the socket read line by line with nothing parsed 3-6 us. This module reads
the one response shape such a reply is made of itself, one regular expression per
response over the bytes imaplib's buffered socket file already holds, and hands
every other response to imaplib.

Contract of ``uid_fetch(imap, uid_set, items)``: it returns what
``imap.uid("FETCH", uid_set, items)`` returns, raises what it raises (same types,
same messages), and leaves ``imap`` as that call would: the same
``untagged_responses``, ``tagged_commands``, and the same unread bytes on the
socket. In particular:

- a response ``* <n> FETCH (<...> {<size>}`` CRLF, then the literal, then ``)``
  CRLF is stored as imaplib stores it: ``(b"<n> (<...> {<size>}", literal)`` and
  ``b")"`` appended to ``untagged_responses["FETCH"]``;
- every other response -- the tagged completion, EXISTS, EXPUNGE, RECENT, a
  FLAGS-only FETCH, a FETCH with a second literal or items after the literal,
  ``OK [ALERT]``, BYE, a continuation, garbage, a line cut by EOF -- is read by
  imaplib's own ``_get_response`` from the same bytes, so it is handled, stored,
  ignored or refused exactly as imapclient's ``fetch`` would;
- bytes are taken off the socket file only as far as they belong to the reply:
  nothing after the tagged completion line is consumed, so the connection stays
  usable for imapclient afterwards.

The one difference: the responses this module reads itself, and the list it
returns, are not written to imaplib's debug log (imapclient's
``imapclient.imaplib`` logger at DEBUG).

Where imaplib does not read through a buffered socket file kept in ``imap.file``
(Python 3.14's imaplib keeps a read buffer of its own; not run here), ``uid_fetch``
is ``imap.uid("FETCH", ...)`` unchanged.
tests/unit/adapters/test_imap_wire.py checks the contract on generated replies against
imaplib itself; tests/integration/test_imap_wire.py on real Dovecot replies.
"""

from __future__ import annotations

import imaplib
import io
import re
from typing import Any

# One whole response line ending in a literal, as imaplib's Untagged_status and
# Literal expressions see it: group 1 the message number, group 2 the rest of the
# line (imaplib's "data2"), group 3 the literal's size. "." stops at LF, so a
# match never runs past the line's CRLF.
_FETCH_LINE = re.compile(rb"\* (\d+) FETCH (.*\{(\d+)\})\r\n")
_TRAILER = b")\r\n"
# a literal above this is left to imaplib (it reads any size; this keeps the
# chunk copies below linear in the reply)
_MAX_FAST_LITERAL = 1 << 24
_MAXLINE: int = imaplib._MAXLINE  # type: ignore[attr-defined]  # its longest line


def uid_fetch(imap: imaplib.IMAP4, uid_set: str, items: str) -> tuple[str, list[Any]]:
    """``imap.uid("FETCH", uid_set, items)``, its reply read by this module (see the
    module docstring for the contract)."""
    file = vars(imap).get("file")
    classic = (
        isinstance(file, io.BufferedReader)
        and type(imap).read is imaplib.IMAP4.read
        and type(imap).readline is imaplib.IMAP4.readline
        and imap.state in imaplib.Commands["FETCH"]
    )
    if not classic or file is None:
        return imap.uid("FETCH", uid_set, items)
    # imaplib.IMAP4.uid is _command then _command_complete; only the reading differs
    tag = imap._command("UID", "FETCH", uid_set, items)
    imap._check_bye()
    try:
        typ, data = _tagged_response(imap, file, tag)
    except imap.abort as exc:
        raise imap.abort(f"command: UID => {exc}") from None
    except imap.error as exc:
        raise imap.error(f"command: UID => {exc}") from None
    imap._check_bye()
    if typ == "BAD":
        raise imap.error(f"UID command error: {typ} {data}")
    # imaplib's _untagged_response(typ, data, "FETCH"), without its debug message: at
    # imapclient's debug level 5 it formats the whole reply (~25 ms a batch) for a
    # logger that is off
    if typ == "NO":
        return typ, data
    fetched: list[Any] | None = imap.untagged_responses.pop("FETCH", None)
    return typ, [None] if fetched is None else fetched


def _tagged_response(
    imap: imaplib.IMAP4, file: io.BufferedReader, tag: bytes
) -> tuple[str, list[Any]]:
    """imaplib's ``_get_tagged_response(tag)``, with the fast responses read here."""
    tagged: dict[bytes, Any] = imap.tagged_commands  # typeshed: list[bytes] | None
    head = b""  # taken off the file, not yet stored: the start of one response
    while True:
        result = tagged[tag]
        if result is not None:
            del tagged[tag]
            found: tuple[str, list[Any]] = result
            return found
        imap._check_bye()
        head, handover = _read_fast(imap, file, head)
        if handover:
            try:
                _imaplib_response(imap, file, head)
            except imap.abort:
                if imap.debug >= 1:
                    imap.print_log()
                raise
            head = b""


def _read_fast(imap: imaplib.IMAP4, file: io.BufferedReader, head: bytes) -> tuple[bytes, bool]:
    """Store the fast responses at the start of ``head`` + the file's buffer.

    Return the bytes taken off the file and not stored (always the start of one
    response) and whether the next response is imaplib's to read: it is not of the
    fast shape, or the file is at EOF. With False, call again: the next response is
    incomplete (``head`` holds its start) or not here yet. No byte after the
    response being read is ever taken.
    """
    view = file.peek()
    if not view:
        return head, True  # EOF: imaplib raises its error for what is left
    data = head + view if head else view
    pos, end = 0, len(data)
    found: list[tuple[bytes, bytes] | bytes] = []
    partial = -1  # where a fast response cut by the buffer starts; its literal's end
    while True:
        match = _FETCH_LINE.match(data, pos)
        if match is None or match.end() - pos > _MAXLINE:
            break
        start = match.end()
        stop = start + int(match[3])
        if stop - start > _MAX_FAST_LITERAL:
            break
        if data[stop : stop + 3] != _TRAILER:
            if stop + 3 > end:
                partial = stop
            break  # else another shape: a second literal, items after this one...
        found.append((match[1] + b" " + match[2], data[start:stop]))
        found.append(b")")
        pos = stop + 3
    if found:  # imaplib's _append_untagged, without its debug logging
        imap.untagged_responses.setdefault("FETCH", []).extend(found)
    cut_line = data.startswith(b"*", pos) and data.find(b"\n", pos) < 0 and end - pos <= _MAXLINE
    if partial >= 0 or cut_line or pos == end:
        return _take_partial(file, view, data, pos, max(partial, 0)), False
    # the next response is imaplib's: leave it, and all after it, on the file
    taken = len(data) - len(view)
    if pos > taken:
        file.read(pos - taken)
    return data[pos:taken], True


def _take_partial(file: io.BufferedReader, view: bytes, data: bytes, pos: int, stop: int) -> bytes:
    """Take the whole buffer: from ``pos`` on it is the start of one response (an
    untagged line, or a fast FETCH whose literal ends at ``stop``). A literal the
    buffer does not hold is read to its end at once, so long literals cost one copy.
    """
    file.read(len(view))
    head = data[pos:]
    missing = stop - pos - len(head)
    if missing > 0:
        head += file.read(missing)  # EOF: a short read; imaplib then reports it
    return head


def _imaplib_response(imap: imaplib.IMAP4, file: io.BufferedReader, head: bytes) -> None:
    """imaplib's ``_get_response()``: one response, read by imaplib from ``head``
    (bytes of that response already taken off the file), then the file."""
    if not head:
        imap._get_response()
        return
    replay = _Replay(head, file)
    imap.file = replay  # type: ignore[assignment]
    try:
        imap._get_response()
    finally:
        imap.file = file
    if replay.head:  # cannot happen: head is the start of one response
        raise imap.abort("socket error: fetch reader out of step")


class _Replay:
    """The file imaplib reads one response from: ``head``, then the socket file."""

    def __init__(self, head: bytes, file: io.BufferedReader) -> None:
        self.head = head
        self.file = file

    def readline(self, limit: int = -1) -> bytes:
        head = self.head
        if not head:
            return self.file.readline(limit)
        cut = head.find(b"\n") + 1 or len(head)
        if 0 <= limit < cut:
            cut = limit
        line, self.head = head[:cut], head[cut:]
        if line.endswith(b"\n") or self.head or len(line) == limit:
            return line
        return line + self.file.readline(-1 if limit < 0 else limit - len(line))

    def read(self, size: int) -> bytes:
        part, self.head = self.head[:size], self.head[size:]
        if len(part) < size:
            part += self.file.read(size - len(part))
        return part
