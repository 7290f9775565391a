"""A real Dovecot IMAP server on loopback for tests, plus helpers to fill it.

One Dovecot per pytest session, started without systemd on free 127.0.0.1 ports
(plain IMAP with STARTTLS, and implicit TLS with a throwaway self-signed
certificate when ``openssl`` is available). Every test gets a mailbox of its own:
the passdb is ``static``, so any user name logs in with ``PASSWORD`` and a fresh
name is a fresh, empty Maildir. That makes a new mailbox cost nothing.

OAuth2: the server also offers SASL XOAUTH2 and OAUTHBEARER through Dovecot's own
``oauth2`` passdb, which asks a small introspection endpoint (RFC 7662, an HTTP server
on loopback in this process) whether a token is valid and for whom:
``server.issue_token(user)`` returns a token that logs ``user`` in, ``revoke_token``
makes it fail. ``failed_logins(user)`` counts the refused logins in Dovecot's own log
(``auth_verbose``): attempts counted at the server, not by the client.

Invariants:
- Mail lives under a ``tempfile.mkdtemp()`` directory with mode 0o755: as root,
  Dovecot's mail processes run as the unprivileged ``gwmail`` user and cannot
  enter pytest's 0700 ``tmp_path``.
- Dovecot daemonizes; its output goes to files, never to pipes we wait on.
- Missing Dovecot: installed with apt-get when root; otherwise the tests that need
  it are skipped with the reason, or fail when ``GHOSTWATCH_REQUIRE_DOVECOT=1``.

Run ``python -m tests.support.dovecot`` to keep a server up for manual tries.
"""

from __future__ import annotations

import contextlib
import grp
import itertools
import json
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from imapclient import IMAPClient

HOST = "127.0.0.1"
PASSWORD = "secret"
REQUIRE_ENV = "GHOSTWATCH_REQUIRE_DOVECOT"
MAIL_USER = "gwmail"  # owns the mail files when the server runs as root
_APPENDUID = re.compile(rb"\[APPENDUID \d+ (\d+)\]")
_START_TIMEOUT_S = 10.0


class DovecotUnavailable(RuntimeError):
    """Dovecot is not installed and cannot be installed here, or would not start."""


# --- messages -------------------------------------------------------------------


def make_message(
    from_: str,
    to: str | Sequence[str],
    subject: str,
    date: datetime,
    *,
    message_id: str | None = None,
    in_reply_to: str | None = None,
    references: Sequence[str] = (),
    headers: Mapping[str, str] | None = None,
    body: str = "",
) -> bytes:
    """Return an RFC 5322 message as bytes (CRLF, RFC 2047 encoded non-ASCII headers).

    ``date`` must be aware. ``message_id`` defaults to a fresh one in the sender's
    domain. ``headers`` are added as given (e.g. ``{"Auto-Submitted": "auto-replied"}``).
    """
    if date.tzinfo is None:
        raise ValueError("make_message needs an aware date")
    msg = EmailMessage()
    msg["From"] = from_
    msg["To"] = to if isinstance(to, str) else ", ".join(to)
    msg["Subject"] = subject
    msg["Date"] = format_datetime(date)
    domain = from_.rpartition("@")[2].strip(">").strip() or "test.example"
    msg["Message-ID"] = message_id or make_msgid(domain=domain)
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if references:
        msg["References"] = " ".join(references)
    for name, value in (headers or {}).items():
        msg[name] = value
    text = body or "Hello.\n"
    # quoted-printable keeps non-ASCII bodies 7-bit, safe for any server
    msg.set_content(text, cte="7bit" if text.isascii() else "quoted-printable")
    return msg.as_bytes(policy=SMTP)


# --- the server -------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((HOST, port)) == 0


def find_dovecot(*, install: bool = True) -> str:
    """Return the path of the ``dovecot`` binary, installing ``dovecot-imapd`` with
    apt-get when it is missing and we are root. Raise DovecotUnavailable otherwise."""
    for candidate in (shutil.which("dovecot"), "/usr/sbin/dovecot", "/usr/local/sbin/dovecot"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    if not install or os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise DovecotUnavailable(
            "the dovecot binary is not installed; install it with "
            "'apt-get install dovecot-imapd' (the rig does so itself when run as root)"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install_cmd = ["apt-get", "install", "-y", "-qq", "dovecot-imapd"]
    for argv in (install_cmd, ["apt-get", "update", "-qq"], install_cmd):
        subprocess.run(argv, env=env, capture_output=True, timeout=600, check=False)
        if argv is install_cmd and os.access("/usr/sbin/dovecot", os.X_OK):
            return "/usr/sbin/dovecot"
    raise DovecotUnavailable("apt-get install dovecot-imapd failed")


@dataclass(frozen=True)
class _Identity:
    """Who runs what: mail files owner, login and internal process users."""

    uid: int
    gid: int
    login_user: str
    internal_user: str
    internal_group: str

    @classmethod
    def for_current_user(cls) -> _Identity:
        if os.geteuid() == 0:
            # Dovecot refuses to run login processes as root: use the package's own
            # users, and an unprivileged owner for the mail files.
            try:
                pw = pwd.getpwnam(MAIL_USER)
            except KeyError:
                useradd = shutil.which("useradd") or "/usr/sbin/useradd"
                subprocess.run(
                    [useradd, "-r", "-M", "-s", "/usr/sbin/nologin", MAIL_USER], check=True
                )
                pw = pwd.getpwnam(MAIL_USER)
            return cls(pw.pw_uid, pw.pw_gid, "dovenull", "dovecot", "dovecot")
        me = pwd.getpwuid(os.geteuid())
        group = grp.getgrgid(os.getegid()).gr_name
        return cls(os.geteuid(), os.getegid(), me.pw_name, me.pw_name, group)


def _make_cert(root: Path) -> Path | None:
    """Write a self-signed certificate for 127.0.0.1/localhost; None without openssl."""
    if shutil.which("openssl") is None:
        return None
    argv = [
        "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
        "-nodes", "-days", "2", "-subj", "/CN=localhost",
        "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
        "-keyout", str(root / "key.pem"), "-out", str(root / "cert.pem"),
    ]  # fmt: skip
    done = subprocess.run(argv, capture_output=True, timeout=30, check=False)
    return root / "cert.pem" if done.returncode == 0 else None


_CONF = """\
base_dir = {root}/run
state_dir = {root}/run/state
instance_name = gw-{port}
protocols = imap
listen = {host}
{ssl}
disable_plaintext_auth = no
auth_mechanisms = plain login xoauth2 oauthbearer
auth_verbose = yes
auth_failure_delay = 0
log_path = {root}/dovecot.log
default_internal_user = {ident.internal_user}
default_login_user = {ident.login_user}
default_internal_group = {ident.internal_group}
mail_location = maildir:~/Maildir
mail_fsync = never
mail_max_userip_connections = 200
passdb {{
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = {root}/oauth2.conf
}}
passdb {{
  driver = static
  mechanisms = plain login
  args = password={password}
}}
userdb {{
  driver = static
  args = uid={ident.uid} gid={ident.gid} home={root}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = {host}
    port = {port}
  }}
  inet_listener imaps {{
    address = {host}
    port = {tls_port}
  }}
  chroot =
}}
service anvil {{
  chroot =
  # no per-IP penalty after failed logins: wrong-password tests would slow the rest
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
namespace inbox {{
  inbox = yes
  separator = /
{folders}
}}
protocol imap {{
  imap_idle_notify_interval = 2 mins
}}
"""
SPECIAL_FOLDERS = {
    "Sent": "\\Sent",
    "Drafts": "\\Drafts",
    "Trash": "\\Trash",
    "Archive": "\\Archive",
    "Junk": "\\Junk",
}


class DovecotServer:
    """One Dovecot instance under ``root``; ``start``/``stop`` keep the same ports."""

    def __init__(self, root: Path, *, binary: str, port: int | None = None) -> None:
        self.root = root
        self.host = HOST
        self.port = port or _free_port()
        self.binary = binary
        self.identity = _Identity.for_current_user()
        self.ca_file = _make_cert(root)  # the certificate is its own CA
        self.tls_port = _free_port() if self.ca_file else None
        self.mail_root = root / "mail"
        self.oauth = OAuthIntrospection.start()
        self._names = itertools.count(1)
        self._proc: subprocess.Popen[bytes] | None = None
        self._write_config()

    @classmethod
    def launch(cls, port: int | None = None) -> DovecotServer:
        """Create a server in a fresh temporary directory and start it (on ``port``,
        or a free one)."""
        binary = find_dovecot()
        root = Path(tempfile.mkdtemp(prefix="ghostwatch-dovecot-"))
        root.chmod(0o755)
        server = cls(root, binary=binary, port=port)
        try:
            server.start()
        except BaseException:
            server.destroy()
            raise
        return server

    def _write_config(self) -> None:
        (self.root / "run" / "state").mkdir(parents=True, exist_ok=True)
        self.mail_root.mkdir(exist_ok=True)
        os.chown(self.mail_root, self.identity.uid, self.identity.gid)
        if self.ca_file is not None:
            ssl = f"ssl = yes\nssl_cert = <{self.ca_file}\nssl_key = <{self.root / 'key.pem'}"
        else:
            ssl = "ssl = no"
        folders = "\n".join(
            f"  mailbox {name} {{\n    special_use = {flag}\n    auto = subscribe\n  }}"
            for name, flag in SPECIAL_FOLDERS.items()
        )
        text = _CONF.format(
            root=self.root, port=self.port, tls_port=self.tls_port or 0, host=self.host,
            ssl=ssl, ident=self.identity, password=PASSWORD, folders=folders,
        )  # fmt: skip
        (self.root / "dovecot.conf").write_text(text)
        (self.root / "oauth2.conf").write_text(
            "introspection_mode = post\n"
            f"introspection_url = {self.oauth.url}\n"
            "username_attribute = username\n"
            "active_attribute = active\n"
            "active_value = true\n"
        )

    def issue_token(self, user: str) -> str:
        """Return a fresh OAuth2 access token that logs ``user`` in (XOAUTH2)."""
        return self.oauth.issue(user)

    def revoke_token(self, token: str) -> None:
        """Make ``token`` invalid: a login with it is refused from now on."""
        self.oauth.revoke(token)

    def failed_logins(self, user: str) -> int:
        """How many logins of ``user`` Dovecot refused, read from its own log
        (``auth_verbose``: one line per refused attempt, password or token)."""
        marks = (f"static({user},", f"oauth2({user},")
        text = ""
        with contextlib.suppress(OSError):
            text = (self.root / "dovecot.log").read_text(errors="replace")
        refused = ("Password mismatch", "oauth2 failed")
        return sum(
            1
            for line in text.splitlines()
            if " auth: " in line
            and any(m in line for m in marks)
            and any(r in line for r in refused)
        )

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> None:
        """Start Dovecot and return once it accepts connections; raise DovecotUnavailable.

        Dovecot runs in the foreground (``-F``) as our child in a session of its own:
        we hold its handle, reap it, and Ctrl-C in a terminal does not reach it.
        Its output goes to a file, never to a pipe.
        """
        if self.running:
            return
        with (self.root / "start.log").open("ab") as out:
            self._proc = subprocess.Popen(
                [self.binary, "-F", "-c", str(self.root / "dovecot.conf")],
                stdin=subprocess.DEVNULL, stdout=out, stderr=out, start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + _START_TIMEOUT_S
        while self._proc.poll() is None and time.monotonic() < deadline:
            if _port_open(self.port):
                return
            time.sleep(0.01)
        self.stop()
        raise DovecotUnavailable(f"dovecot did not start: {self.log_tail()}")

    def stop(self) -> None:
        """Kill Dovecot at once, as a crash would, and wait for its master to exit.

        SIGKILL to the master's process group: a graceful SIGTERM takes Dovecot
        2.5-7 s, too slow for fault tests. No-op when it is not running.
        """
        proc, self._proc = self._proc, None
        if proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=_START_TIMEOUT_S)
        (self.root / "run" / "master.pid").unlink(missing_ok=True)

    def destroy(self) -> None:
        """Stop the server and remove its directory, in the background: a session's
        hundreds of Maildirs took minutes to delete on a loaded machine, charged to
        whichever test ran last."""
        self.stop()
        self.oauth.stop()
        remove_in_background(self.root)

    def log_tail(self, lines: int = 20) -> str:
        text = ""
        for name in ("start.log", "dovecot.log"):
            with contextlib.suppress(OSError):
                text += (self.root / name).read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def new_account(self, prefix: str = "user") -> ImapAccount:
        """Return a mailbox nobody has used yet (created on its first login)."""
        return ImapAccount(self, f"{prefix}{next(self._names)}")


class OAuthIntrospection:
    """A token introspection endpoint (RFC 7662) for Dovecot's ``oauth2`` passdb, on
    loopback in a thread of this process. Tokens are random; ``{"active": false}`` for
    any token not issued or revoked."""

    def __init__(self) -> None:
        self._tokens: dict[str, str] = {}
        self._lock = threading.Lock()
        self.asked = 0  # introspection requests served (Dovecot asks once per login)
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = urllib.parse.parse_qs(self.rfile.read(length).decode("ascii", "replace"))
                body = json.dumps(owner.introspect(form.get("token", [""])[0])).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass  # quiet: the test output is not the place for access logs

        self._http = ThreadingHTTPServer((HOST, 0), Handler)
        self._http.daemon_threads = True
        self._thread = threading.Thread(
            target=self._http.serve_forever, name="oauth-introspection", daemon=True
        )

    @classmethod
    def start(cls) -> OAuthIntrospection:
        endpoint = cls()
        endpoint._thread.start()
        return endpoint

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self._http.server_address[1]}/introspect"

    def issue(self, user: str) -> str:
        token = "gwtok-" + os.urandom(12).hex()
        with self._lock:
            self._tokens[token] = user
        return token

    def revoke(self, token: str) -> None:
        with self._lock:
            self._tokens.pop(token, None)

    def introspect(self, token: str) -> dict[str, object]:
        with self._lock:
            self.asked += 1
            user = self._tokens.get(token)
        return {"active": True, "username": user} if user else {"active": False}

    def stop(self) -> None:
        self._http.shutdown()
        self._http.server_close()


# --- one test's mailbox -------------------------------------------------------------


class ImapAccount:
    """One user's mailbox on a DovecotServer, with synchronous helpers for tests."""

    def __init__(self, server: DovecotServer, user: str) -> None:
        self.server = server
        self.user = user
        self.password = PASSWORD
        self._admin: IMAPClient | None = None
        self._clients: list[IMAPClient] = []

    @property
    def host(self) -> str:
        return self.server.host

    @property
    def port(self) -> int:
        return self.server.port

    @property
    def maildir_path(self) -> Path:
        """The user's Maildir root (INBOX); folder ``X`` is ``maildir_path / ".X"``."""
        return self.server.mail_root / self.user / "Maildir"

    def client(self) -> IMAPClient:
        """Return a new logged-in IMAPClient (closed at the end of the test)."""
        client = IMAPClient(self.host, self.port, ssl=False, timeout=10)
        client.login(self.user, self.password)
        self._clients.append(client)
        return client

    def _conn(self) -> IMAPClient:
        if self._admin is not None:
            try:
                self._admin.noop()
            except (IMAPClient.Error, OSError):
                _drop(self._admin)  # the server was restarted: log in again
                self._clients.remove(self._admin)
                self._admin = None
        if self._admin is None:
            self._admin = self.client()
        return self._admin

    def append(
        self,
        folder: str,
        msg: bytes | EmailMessage,
        *,
        internal_date: datetime,
        flags: Iterable[bytes | str] = (),
    ) -> int:
        """APPEND ``msg`` to ``folder`` with that INTERNALDATE; return its UID."""
        raw = msg.as_bytes(policy=SMTP) if isinstance(msg, EmailMessage) else msg
        if internal_date.tzinfo is None:
            raise ValueError("internal_date must be aware")
        response = self._conn().append(folder, raw, flags=tuple(flags), msg_time=internal_date)
        found = _APPENDUID.search(response)
        if found is None:
            raise AssertionError(f"no APPENDUID in {response!r}")
        return int(found.group(1))

    def flags(self, folder: str) -> dict[int, tuple[bytes, ...]]:
        """Return uid -> flags of every message in ``folder`` (read-only, no side effects).

        ``\\Recent`` is left out: it is per session, not stored with the message.
        """
        conn = self._conn()
        conn.select_folder(folder, readonly=True)
        uids = conn.search(["ALL"])
        fetched = conn.fetch(uids, ["FLAGS"]) if uids else {}
        conn.unselect_folder()
        return {
            uid: tuple(f for f in data[b"FLAGS"] if f != b"\\Recent")
            for uid, data in fetched.items()
        }

    def folder_dir(self, folder: str) -> Path:
        """Return the Maildir directory of ``folder`` (Maildir++ layout)."""
        if folder.upper() == "INBOX":
            return self.maildir_path
        return self.maildir_path / ("." + folder.replace("/", "."))

    def set_uidvalidity_change(self, folder: str) -> None:
        """Make the server renumber ``folder``: a new UIDVALIDITY, same messages, new UIDs.

        Removes the folder's ``dovecot-uidlist`` and index files, as a server losing
        its UID state would. Connections that have the folder selected may not
        notice until they select it again; the helper's own connection is closed.
        """
        self.close()
        directory = self.folder_dir(folder)
        if not directory.is_dir():
            raise ValueError(f"no such folder on disk: {folder}")
        for path in directory.iterdir():
            if path.name == "dovecot-uidlist" or path.name.startswith("dovecot.index"):
                path.unlink()

    change_uidvalidity = set_uidvalidity_change  # the name some suites know it by

    def write_maildir(self, folder: str, messages: Iterable[tuple[bytes, datetime]]) -> int:
        """Write messages straight into ``folder``'s Maildir (fast bulk seeding for
        benches); the file mtime is the INTERNALDATE. Return how many were written."""
        # Dovecot creates folders (and INBOX's Maildir) lazily: touch this one first.
        self._conn().folder_status(folder, ["MESSAGES"])
        ident = self.server.identity
        directory = self.folder_dir(folder)
        if not directory.is_dir():
            raise ValueError(f"no such folder on disk: {folder}")
        for sub in ("cur", "new", "tmp"):  # INBOX gets them with its first message
            if not (directory / sub).is_dir():
                (directory / sub).mkdir()
                os.chown(directory / sub, ident.uid, ident.gid)
        cur = directory / "cur"
        count = 0
        for count, (raw, when) in enumerate(messages, start=1):
            path = cur / f"{int(when.timestamp())}.M{count}P{os.getpid()}.gw,S={len(raw)}:2,"
            path.write_bytes(raw)
            os.utime(path, (when.timestamp(), when.timestamp()))
            os.chown(path, ident.uid, ident.gid)
        return count

    def stop(self) -> None:
        """Stop the whole server (for fault tests); the fixture restarts it afterwards."""
        self.server.stop()

    def start(self) -> None:
        """Start the server again on the same port."""
        if not self.server.running:
            self.server.start()

    def close(self) -> None:
        """Log out every connection this helper opened."""
        for client in self._clients:
            _drop(client)
        self._clients.clear()
        self._admin = None


def _drop(client: IMAPClient) -> None:
    """Log out, or at least close the socket of a connection that is gone."""
    try:
        client.logout()
    except (IMAPClient.Error, OSError):
        with contextlib.suppress(OSError):
            client.shutdown()


def remove_in_background(path: Path) -> None:
    """``rm -rf path`` in a detached process (the test session does not wait for it):
    the shell starts rm in the background and exits at once."""
    done = subprocess.run(
        ["/bin/sh", "-c", 'rm -rf -- "$1" >/dev/null 2>&1 &', "sh", str(path)],
        stdin=subprocess.DEVNULL,
        check=False,
        start_new_session=True,
    )
    if done.returncode != 0:
        shutil.rmtree(path, ignore_errors=True)


# --- fixtures ----------------------------------------------------------------------


def dovecot_unavailable(reason: str) -> None:
    """Skip the test with a loud reason, or fail it when GHOSTWATCH_REQUIRE_DOVECOT=1."""
    message = f"Dovecot not available: {reason}"
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{message} ({REQUIRE_ENV}=1)", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def dovecot_server() -> Iterator[DovecotServer]:
    """The session's Dovecot (skips, or fails under GHOSTWATCH_REQUIRE_DOVECOT=1,
    when Dovecot cannot be had)."""
    try:
        server = DovecotServer.launch()
    except (DovecotUnavailable, OSError, subprocess.SubprocessError) as exc:
        dovecot_unavailable(str(exc))
        raise  # unreachable: skip/fail raise
    yield server
    server.destroy()


@pytest.fixture(scope="session")
def mailstack(dovecot_server: DovecotServer) -> DovecotServer:
    """Alias of ``dovecot_server`` for suites that think of it as the mail stack."""
    return dovecot_server


def _restore(server: DovecotServer) -> None:
    if not server.running:
        server.start()


@pytest.fixture
def imap_server(dovecot_server: DovecotServer) -> Iterator[ImapAccount]:
    """A fresh, empty mailbox on the session's Dovecot (``user``/``password``/helpers)."""
    account = dovecot_server.new_account()
    yield account
    account.close()
    _restore(dovecot_server)


@pytest.fixture
def imap_account_factory(dovecot_server: DovecotServer) -> Iterator[Callable[[], ImapAccount]]:
    """Call it for more fresh mailboxes in one test (e.g. the client's side)."""
    made: list[ImapAccount] = []

    def make() -> ImapAccount:
        made.append(dovecot_server.new_account())
        return made[-1]

    yield make
    for account in made:
        account.close()
    _restore(dovecot_server)


def main(argv: Sequence[str] | None = None) -> int:
    """Keep a server running until interrupted; print how to reach it.

    usage: python -m tests.support.dovecot [PORT]
    """
    args = list(sys.argv[1:] if argv is None else argv)
    server = DovecotServer.launch(int(args[0]) if args else None)
    print(
        f"dovecot on {server.host}:{server.port} (tls {server.tls_port}, ca {server.ca_file}); "
        f"any user name, password {PASSWORD!r}; dir {server.root}; Ctrl-C stops it",
        flush=True,
    )
    try:
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        while server.running:
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        server.destroy()
    return 0


if __name__ == "__main__":
    sys.exit(main())


__all__ = [
    "HOST",
    "PASSWORD",
    "DovecotServer",
    "DovecotUnavailable",
    "ImapAccount",
    "OAuthIntrospection",
    "dovecot_server",
    "dovecot_unavailable",
    "find_dovecot",
    "imap_account_factory",
    "imap_server",
    "mailstack",
    "make_message",
]
