"""The worker-thread side of an IMAP IDLE: wait, without waking, until told.

An IDLE may last minutes; 100 accounts are 100 waiting worker threads. Waking each
every fraction of a second to look for cancellation cost more CPU than everything
else an idle daemon does, so a wait blocks in one ``select`` on two things only: the
IMAP socket and a ``Wake`` (a socketpair) that cancellation writes to.

Invariants:
1. No periodic wake-up: the thread sleeps until the server sends something, the
   ``Wake`` is set, or the timeout passes.
2. Nothing the server sent is left unread while we block: bytes already in imaplib's
   read buffer or decrypted inside the TLS object (``SSLSocket.pending()``) make the
   socket look quiet, so they are looked for before every ``select``.
3. A dead server never spins: a socket that is readable yet yields no complete line
   (EOF, which imapclient's own reader swallows, imapclient issue 565) ends the wait;
   DONE then raises and the caller reconnects.
4. ``Wake.set`` is safe from any thread, any number of times, also after the wait
   ended (``close``); the wait then ends within one ``select`` (no polling).
"""

from __future__ import annotations

import contextlib
import imaplib
import io
import selectors
import socket
import ssl
import threading
import time
from typing import Any, cast

from imapclient import IMAPClient
from imapclient.imapclient import _parse_untagged_response

__all__ = ["Wake", "idle"]


class Wake:
    """A one-shot, thread-safe signal with a file descriptor ``select`` can wait on."""

    def __init__(self) -> None:
        self._reader, self._writer = socket.socketpair()
        self._reader.setblocking(False)
        self._lock = threading.Lock()
        self._set = False
        self._closed = False

    def fileno(self) -> int:
        return self._reader.fileno()

    def is_set(self) -> bool:
        return self._set

    def set(self) -> None:
        """Make the wait end (Invariant 4)."""
        with self._lock:
            if self._set or self._closed:
                self._set = True
                return
            self._set = True
            with contextlib.suppress(OSError):
                self._writer.send(b"x")

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._reader.close()
            self._writer.close()


def idle(client: IMAPClient, timeout_s: float, wake: Wake) -> list[Any]:
    """Worker thread: IDLE on the selected folder until the server reports something
    other than a keep-alive, ``wake`` is set or ``timeout_s`` passes; then DONE.
    Return the untagged responses, keep-alives left out. Raise what imaplib raises
    when the connection fails (the caller marks it broken)."""
    deadline = time.monotonic() + timeout_s
    client.idle()
    seen: list[Any] = []
    with selectors.DefaultSelector() as selector:
        selector.register(client.socket(), selectors.EVENT_READ)
        selector.register(wake, selectors.EVENT_READ)
        while not seen and not wake.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            if not _buffered(client) and not _readable(selector, wake, remaining):
                break  # timed out or woken
            responses = _read_lines(client)
            if not responses:
                break  # readable yet nothing read: EOF (Invariant 3); DONE raises
            seen = [r for r in responses if not _is_keepalive(r)]
    _text, after = client.idle_done()
    return seen + [r for r in after if not _is_keepalive(r)]


def _readable(selector: selectors.BaseSelector, wake: Wake, timeout_s: float) -> bool:
    """Block until the IMAP socket is readable (True), or ``wake`` or the timeout."""
    events = selector.select(timeout_s)
    return bool(events) and not wake.is_set()


def _buffered(client: IMAPClient) -> bool:
    """True if a response is already read off the socket, waiting in imaplib's buffer
    or inside TLS (Invariant 2). Never blocks."""
    sock = client._imap.sock
    timeout = sock.gettimeout()
    sock.setblocking(False)
    try:
        return _available(client._imap)
    finally:
        sock.settimeout(timeout)


def _available(imap: imaplib.IMAP4) -> bool:
    """Whether bytes can be read now without blocking (the socket is non-blocking):
    decrypted bytes inside TLS, or imaplib's buffer, which ``peek`` fills with at
    most one read of the socket when it is empty."""
    sock = imap.sock
    if isinstance(sock, ssl.SSLSocket) and sock.pending() > 0:
        return True
    try:
        return bool(cast(io.BufferedReader, imap.file).peek(1))
    except (BlockingIOError, ssl.SSLWantReadError):
        return False


def _read_lines(client: IMAPClient) -> list[Any]:
    """The response lines that can be read now, parsed; ``[]`` at EOF. Reads a line
    only when bytes are there: imaplib takes an empty non-blocking read for EOF."""
    imap = client._imap
    sock = imap.sock
    timeout = sock.gettimeout()
    sock.setblocking(False)
    found: list[Any] = []
    try:
        while True:
            try:
                line = imap._get_line()
            except (BlockingIOError, ssl.SSLWantReadError):
                break  # TLS bytes that held no data (a session ticket): nothing to read
            except imaplib.IMAP4.abort as exc:
                if "EOF" not in str(exc):
                    raise
                break  # the server is gone: what was read is returned, then [] (Invariant 3)
            found.append(_parse_untagged_response(line))
            if not _available(imap):
                break
    finally:
        sock.settimeout(timeout)
    return found


def _is_keepalive(response: Any) -> bool:
    return isinstance(response, tuple) and len(response) > 0 and response[0] == b"OK"
