"""A real PostgreSQL server on loopback for tests, and the two-store ``store_url`` fixture.

One throwaway cluster per pytest session: ``initdb`` into a ``tempfile.mkdtemp()``
directory, ``pg_ctl start`` on a free 127.0.0.1 port (Debian's binaries from
``/usr/lib/postgresql/<version>/bin``). Every test gets a database of its own
(``CREATE DATABASE``), left in place: ``DROP DATABASE`` checkpoints and costs seconds
on a loaded machine, and the whole cluster is removed at the end of the session.

Invariants:
- PostgreSQL refuses to run as root: as root, the cluster belongs to and runs as the
  ``postgres`` user that Debian's package creates (``subprocess``'s ``user=``).
- Durability is off (``fsync``, ``synchronous_commit``, ``full_page_writes``): a test
  cluster is thrown away, and it makes the suite several times faster. Correctness
  of transactions, locks and ``ON CONFLICT`` is unaffected.
- Missing PostgreSQL: the tests that need it are skipped with the reason, or fail
  when ``GHOSTWATCH_REQUIRE_POSTGRES=1`` (``.ci/run`` sets it and installs it).

Run ``python -m tests.support.postgres`` to keep a server up for manual tries.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from tests.support.dovecot import remove_in_background

HOST = "127.0.0.1"
SUPERUSER = "gw"
REQUIRE_ENV = "GHOSTWATCH_REQUIRE_POSTGRES"
RUN_AS = "postgres"  # Debian's package creates it; used only when we are root
STORES = ("sqlite", "postgresql")
_SETTINGS = {
    "listen_addresses": HOST,
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "300",
    "shared_buffers": "32MB",
}
_counter = itertools.count(1)


class PostgresUnavailable(RuntimeError):
    """PostgreSQL's server binaries or its driver are missing, or it would not start."""


def find_bindir() -> Path:
    """Return the directory holding initdb and pg_ctl; raise PostgresUnavailable."""
    explicit = os.environ.get("GHOSTWATCH_PG_BIN")
    candidates = [Path(explicit)] if explicit else []
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=_version, reverse=True)
    candidates += versions
    found = shutil.which("initdb")
    if found:
        candidates.append(Path(found).parent)
    for bindir in candidates:
        if (bindir / "initdb").is_file() and (bindir / "pg_ctl").is_file():
            return bindir
    raise PostgresUnavailable(
        "PostgreSQL server binaries not found (apt-get install postgresql; "
        "or set GHOSTWATCH_PG_BIN)"
    )


def _version(path: Path) -> int:
    name = path.parent.name
    return int(name) if name.isdigit() else 0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


class PostgresServer:
    """One throwaway cluster. ``launch()`` creates and starts it; ``destroy()`` removes it."""

    def __init__(self, root: Path, bindir: Path, port: int) -> None:
        self.root = root
        self.bindir = bindir
        self.port = port
        self.data = root / "data"
        self.log = root / "postgres.log"
        self._user = RUN_AS if os.geteuid() == 0 else None

    @classmethod
    def launch(cls) -> PostgresServer:
        """Create and start a cluster; raise PostgresUnavailable with the reason."""
        try:
            import psycopg  # noqa: F401  (the driver the tests and the extra use)
        except ImportError:
            raise PostgresUnavailable(
                "psycopg is not installed (pip install -e '.[postgres]')"
            ) from None
        bindir = find_bindir()
        root = Path(tempfile.mkdtemp(prefix="gw-pg-"))
        server = cls(root, bindir, _free_port())
        try:
            server._initdb()
            server.start()
        except BaseException:
            server.destroy()
            raise
        return server

    def _run(self, *argv: str) -> None:
        if self._user is not None and os.geteuid() == 0:
            try:
                pwd.getpwnam(self._user)
            except KeyError:
                raise PostgresUnavailable(
                    f"running as root and there is no {self._user!r} user to run PostgreSQL as"
                ) from None
        done = subprocess.run(
            argv,
            user=self._user,
            extra_groups=[] if self._user else None,
            cwd=self.root,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if done.returncode != 0:
            raise PostgresUnavailable(
                f"{Path(argv[0]).name} failed: {done.stderr.strip() or done.stdout.strip()}"
                f"\n{self.log_tail()}"
            )

    def _initdb(self) -> None:
        if self._user is not None:
            entry = pwd.getpwnam(self._user)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        self._run(
            str(self.bindir / "initdb"),
            "-D", str(self.data),
            "-U", SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        )  # fmt: skip
        with (self.data / "postgresql.conf").open("a", encoding="utf-8") as conf:
            for key, value in _SETTINGS.items():
                conf.write(f"{key} = '{value}'\n")
            conf.write(f"port = {self.port}\nunix_socket_directories = '{self.root}'\n")

    def start(self) -> None:
        """Start the cluster and wait until it accepts connections."""
        self._run(
            str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.log),
            "-w", "-t", "30", "start",
        )  # fmt: skip

    def stop(self) -> None:
        """Stop at once (the cluster is disposable)."""
        with contextlib.suppress(PostgresUnavailable, subprocess.TimeoutExpired):
            self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")

    def destroy(self) -> None:
        """Stop the cluster and remove it in the background (a session leaves
        hundreds of small databases: gigabytes to delete)."""
        if (self.data / "postmaster.pid").exists():
            self.stop()
        remove_in_background(self.root)

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def url(self, database: str = "postgres") -> str:
        """The SQLAlchemy URL of ``database`` (psycopg 3, the ``postgres`` extra's driver)."""
        return f"postgresql+psycopg://{SUPERUSER}@{HOST}:{self.port}/{database}"

    def admin(self, sql: str) -> None:
        """Run one statement outside a transaction (CREATE/DROP DATABASE need that)."""
        import psycopg

        dsn = f"host={HOST} port={self.port} user={SUPERUSER} dbname=postgres"
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(sql)

    def new_database(self, prefix: str = "gw") -> str:
        """Create an empty database; return its URL."""
        name = f"{prefix}_{os.getpid()}_{next(_counter)}"
        self.admin(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_database(self, url: str) -> None:
        name = url.rsplit("/", 1)[1]
        with contextlib.suppress(Exception):  # a test left a connection: the cluster goes anyway
            self.admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- fixtures ----------------------------------------------------------------------


def postgres_unavailable(reason: str) -> None:
    """Skip the test with a loud reason, or fail it when GHOSTWATCH_REQUIRE_POSTGRES=1."""
    message = f"PostgreSQL unavailable: {reason}"
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{message} ({REQUIRE_ENV}=1)", pytrace=False)
    pytest.skip(message)


_launched: list[PostgresServer | PostgresUnavailable] = []


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """The session's PostgreSQL (skips, or fails under GHOSTWATCH_REQUIRE_POSTGRES=1,
    when it cannot be had). A failed start is remembered: later tests skip at once."""
    if not _launched:
        try:
            _launched.append(PostgresServer.launch())
        except PostgresUnavailable as exc:
            _launched.append(exc)
    server = _launched[0]
    if isinstance(server, PostgresUnavailable):
        postgres_unavailable(str(server))
        raise server  # unreachable: skip/fail raise
    try:
        yield server
    finally:
        if _launched and _launched[0] is server:
            _launched.clear()
            server.destroy()


@pytest.fixture
def postgres_url(request: pytest.FixtureRequest) -> str:
    """The URL of a fresh, empty PostgreSQL database (see the module docstring)."""
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return server.new_database()


@pytest.fixture(params=STORES)
def store_url(request: pytest.FixtureRequest, tmp_path_factory: Any) -> Iterator[str]:
    """A fresh database URL, once per store: the test runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'gw.db'}"
        return
    yield request.getfixturevalue("postgres_url")


@pytest.fixture(params=STORES)
def database_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """Once per store: "" on SQLite (the caller picks its own file), else a fresh
    PostgreSQL database's URL. The Scenario fixtures use it."""
    if request.param == "sqlite":
        yield ""
        return
    yield request.getfixturevalue("postgres_url")


@pytest.fixture(params=STORES)
def database_factory(request: pytest.FixtureRequest) -> Iterator[Callable[[], str]]:
    """Once per store: a function returning a fresh database URL at each call ("" on
    SQLite: the caller picks its own file). For tests that build many scenarios."""
    if request.param == "sqlite":
        yield lambda: ""
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    yield server.new_database


def main(argv: Sequence[str] | None = None) -> int:
    """Start a cluster, print its URL, keep it until Enter (for manual tries)."""
    del argv
    server = PostgresServer.launch()
    try:
        print(server.new_database(), flush=True)
        sys.stdin.readline()
    finally:
        server.destroy()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
