"""A scripted IMAP server on 127.0.0.1: real sockets, replies written by the test.

For checking a protocol reader against imaplib and imapclient on the very same
bytes, including shapes no real server sends on demand (a BYE mid-reply, a line
cut by EOF, unsolicited responses inside a FETCH). Each connection gets a greeting,
answers CAPABILITY, LOGIN, SELECT/EXAMINE, NOOP and LOGOUT, and answers
``UID FETCH`` with ``fetch_reply(tag)``, then closes if ``close_after_fetch``.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable, Iterator
from types import TracebackType

HOST = "127.0.0.1"
GREETING = b"* OK [CAPABILITY IMAP4rev1] scripted\r\n"
_FIXED = {
    b"CAPABILITY": b"* CAPABILITY IMAP4rev1\r\n%s OK done\r\n",
    b"LOGIN": b"%s OK logged in\r\n",
    b"SELECT": b"* 3 EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n* OK [UIDNEXT 99] ok\r\n"
    b"%s OK [READ-WRITE] done\r\n",
    b"EXAMINE": b"* 3 EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n* OK [UIDNEXT 99] ok\r\n"
    b"%s OK [READ-ONLY] done\r\n",
    b"NOOP": b"%s OK noop\r\n",
    b"LOGOUT": b"* BYE bye\r\n%s OK bye\r\n",
}


class ScriptedImap:
    """``with ScriptedImap(reply) as server:`` then connect to ``server.port``."""

    def __init__(
        self, fetch_reply: Callable[[bytes], bytes], *, close_after_fetch: bool = False
    ) -> None:
        self.fetch_reply = fetch_reply
        self.close_after_fetch = close_after_fetch
        self._listener = socket.create_server((HOST, 0))
        self.port: int = self._listener.getsockname()[1]
        self._threads: list[threading.Thread] = []
        self._accepting = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self) -> ScriptedImap:
        self._accepting.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._listener.close()
        for thread in self._threads:
            thread.join(timeout=5)

    def _accept(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                conn, _ = self._listener.accept()
                thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
                self._threads.append(thread)
                thread.start()

    def _serve(self, conn: socket.socket) -> None:
        with conn, contextlib.suppress(OSError):
            conn.sendall(GREETING)
            for tag, command in _commands(conn):
                if command == b"UID FETCH":
                    conn.sendall(self.fetch_reply(tag))
                    if self.close_after_fetch:
                        conn.shutdown(socket.SHUT_RDWR)
                        return
                    continue
                reply = _FIXED.get(command, b"%s BAD unknown command\r\n")
                conn.sendall(reply % tag)
                if command == b"LOGOUT":
                    return


def _commands(conn: socket.socket) -> Iterator[tuple[bytes, bytes]]:
    """(tag, upper-case command name, two words for UID ...) for each line received."""
    reader = conn.makefile("rb")
    for line in reader:
        words = line.split()
        if len(words) < 2:
            continue
        name = words[1].upper()
        if name == b"UID" and len(words) > 2:
            name += b" " + words[2].upper()
        yield words[0], name
