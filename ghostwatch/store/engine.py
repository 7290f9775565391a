"""Opening the database: URL handling, file permissions, SQLite pragmas, migrations,
and the transaction helpers every part of the store uses.

The ``ghostwatch.store`` modules import this module; outside the store only
``ghostwatch.app.online_check`` does (``parse_url`` and ``probe``, before any ``Store``).

Invariants:
- A SQLite database file is created by us with mode 0600 (its directory 0700)
  before SQLAlchemy touches it; SQLite gives the -wal and -shm files the same mode.
- Every SQLite connection runs with journal_mode=WAL, synchronous=NORMAL,
  busy_timeout=5000 and foreign_keys=ON, and with the driver's own transaction
  handling off: ghostwatch emits BEGIN itself (``BEGIN IMMEDIATE`` for writes, so
  two writers queue on busy_timeout instead of failing on a lock upgrade).
- The schema is brought to Alembic ``head`` at every open, inside one
  transaction: an upgrade completes or leaves the database as it was.
- Upgrades are serialized, so any number of processes may open a new database at
  once: SQLite's ``BEGIN IMMEDIATE`` takes the write lock before Alembic reads its
  version table; on PostgreSQL a transaction-scoped advisory lock
  (``MIGRATION_LOCK``) does the same. The second process then finds ``head``.
- Every upsert is one ``INSERT ... ON CONFLICT`` statement on both dialects, and
  "was it new?" is answered by ``RETURNING``, never by a driver's ``rowcount``
  (psycopg 3 reports -1 for ``ON CONFLICT DO NOTHING`` through SQLAlchemy 2.1).
- Only SQLite (the stdlib driver) and PostgreSQL (psycopg 3) are supported
  (``SUPPORTED``); anything else is refused when the engine is built, and by
  ``check-config`` before that (``config.models.DatabaseConfig``).
- Error messages never contain a password: URLs are shown masked.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any, Self

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.pool import StaticPool

from ghostwatch.errors import StoreError

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
BEGIN_OPTION = "ghostwatch_begin"  # execution option: "IMMEDIATE" for write transactions
SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA busy_timeout=5000",
    "PRAGMA foreign_keys=ON",
)
# backend -> the drivers ghostwatch is tested with (None: SQLAlchemy's default for it)
SUPPORTED: dict[str, tuple[str | None, ...]] = {
    "sqlite": (None, "pysqlite"),
    "postgresql": (None, "psycopg"),
}
POSTGRES_EXTRA = "pip install 'ghostwatch[postgres]'"
# pg_advisory_xact_lock key serializing migrations: any constant all ghostwatch
# processes agree on ("ghostwatch" read as a 64-bit number, truncated).
MIGRATION_LOCK = 0x67686F7374776174
# How long a SQLite first start waits for the others' migrations (several daemons or a
# `check-config` started at once on an empty file: 5 s was too short on a loaded machine).
MIGRATION_WAIT_MS = 60_000
# PostgreSQL session settings: a lock held by another process fails after 5 s like
# SQLite's busy_timeout, and a connection cut from the server is noticed within ~20 s
# (TCP keepalives) instead of the kernel's two hours.
POSTGRES_CONNECT_ARGS: dict[str, Any] = {
    "connect_timeout": 5,
    "application_name": "ghostwatch",
    "options": "-c lock_timeout=5000 -c idle_in_transaction_session_timeout=60000",
    "keepalives": 1,
    "keepalives_idle": 10,
    "keepalives_interval": 5,
    "keepalives_count": 2,
}


def parse_url(url: str) -> tuple[URL, str]:
    """Return the parsed URL and its masked form; raise StoreError if unparseable.

    The message never repeats the URL: an unparseable one may hold a password.
    """
    try:
        parsed = sa.make_url(url)
    except (ArgumentError, ValueError):
        raise StoreError("database url is not a valid SQLAlchemy URL") from None
    return parsed, parsed.render_as_string(hide_password=True)


def _sqlite_file(url: URL) -> str | None:
    database = url.database
    if url.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    if database.startswith("file:"):  # URI filename: the user chose every detail
        return None
    return os.path.expanduser(database)


def prepare_sqlite_file(path: str) -> None:
    """Create ``path``'s directory (0700) and the file itself (0600) if missing.

    An existing file readable by others is tightened to 0600. Raise StoreError if
    the directory or file cannot be created.
    """
    target = Path(path)
    try:
        if not target.parent.exists():
            target.parent.mkdir(mode=0o700, parents=True)
            target.parent.chmod(0o700)  # mkdir's mode is filtered by the umask
        fd = os.open(target, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if stat.S_IMODE(os.fstat(fd).st_mode) & 0o077:
                os.fchmod(fd, 0o600)
        finally:
            os.close(fd)
    except OSError as exc:
        raise StoreError(f"cannot create database file {path}: {exc.strerror}") from None


def _on_connect(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # we emit BEGIN ourselves (see _on_begin)
    cursor = dbapi_connection.cursor()
    try:
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(pragma)
    finally:
        cursor.close()


def _on_begin(connection: Connection) -> None:
    mode = connection.get_execution_options().get(BEGIN_OPTION, "DEFERRED")
    connection.exec_driver_sql(f"BEGIN {mode}")


def check_backend(url: URL) -> None:
    """Raise StoreError unless ``url`` names a supported backend and driver."""
    backend, driver = url.get_backend_name(), url.get_driver_name()
    explicit = driver if "+" in url.drivername else None
    drivers = SUPPORTED.get(backend)
    if drivers is None or explicit not in drivers:
        raise StoreError(
            f"database backend {url.drivername!r} is not supported: use sqlite:///PATH "
            "or postgresql+psycopg://USER@HOST/DATABASE"
        )


def create_engine(url: str) -> tuple[Engine, str]:
    """Build an engine for ``url`` (``~`` expanded, SQLite file prepared and tuned).

    Return the engine and the masked URL for messages. Raise StoreError if the URL
    is invalid or unsupported, its driver is missing (naming the extra to install)
    or the file cannot be created.
    """
    parsed, masked = parse_url(url)
    check_backend(parsed)
    path = _sqlite_file(parsed)
    if path is not None:
        prepare_sqlite_file(path)
        parsed = parsed.set(database=path)
    kwargs: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite" and path is None:
        # one shared in-memory database: one connection, used by one thread at a time
        kwargs["poolclass"] = StaticPool
        kwargs["connect_args"] = {"check_same_thread": False}
    if parsed.get_backend_name() == "postgresql":
        # pre_ping: a connection the server or the network dropped is replaced,
        # not handed to the next transaction to fail on
        kwargs.update(connect_args=POSTGRES_CONNECT_ARGS, pool_pre_ping=True)
    try:
        engine = sa.create_engine(parsed, **kwargs)
    except (ImportError, NoSuchModuleError) as exc:
        hint = f" (PostgreSQL needs psycopg 3: {POSTGRES_EXTRA})" if "postgres" in url else ""
        raise StoreError(f"cannot open database {masked}: driver missing{hint}: {exc}") from None
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot open database {masked}: {type(exc).__name__}") from None
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", _on_connect)
        sa.event.listen(engine, "begin", _on_begin)
    return engine, masked


def probe(url: str) -> str:
    """Connect to the database server at ``url`` and ``SELECT 1``, migrating nothing
    (``check-config --online``); return the server's version. Not for SQLite, whose
    file ``create_engine`` would create: check its permissions instead. Raise
    StoreError naming the masked URL and the cause (never the password)."""
    engine, masked = create_engine(url)
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
            version = connection.dialect.server_version_info or ()
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot open database {masked}: {describe(exc)}") from None
    finally:
        engine.dispose()
    return ".".join(str(part) for part in version)


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config pointing at the packaged migrations (no alembic.ini)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine, masked: str, revision: str = "head") -> None:
    """Migrate the database to ``revision`` in one write transaction.

    Serialized across processes (SQLite: BEGIN IMMEDIATE; PostgreSQL: an advisory
    lock), so concurrent first starts on an empty database all succeed. Raise
    StoreError naming the masked URL if it cannot be reached or migrated (for
    example, it was written by a newer ghostwatch).
    """
    try:
        with engine.connect() as connection:
            sqlite = connection.dialect.name == "sqlite" and not _at_head(connection)
            if sqlite:
                # a first start queued behind other first starts' migrations, each of
                # which holds the write lock for its whole run, waits longer than a query
                # would; a database already at head keeps busy_timeout (5 s)
                _raw(connection).execute(f"PRAGMA busy_timeout={MIGRATION_WAIT_MS}")
            connection.execution_options(**{BEGIN_OPTION: "IMMEDIATE"})
            with connection.begin():
                if connection.dialect.name == "postgresql":
                    # held to the commit: a second process waits here, then finds head
                    connection.execute(sa.select(sa.func.pg_advisory_xact_lock(MIGRATION_LOCK)))
                command.upgrade(alembic_config(connection), revision)
            if sqlite:
                _raw(connection).execute("PRAGMA busy_timeout=5000")  # as SQLITE_PRAGMAS
    except CommandError as exc:
        raise StoreError(f"cannot migrate database {masked}: {exc}") from None
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot open database {masked}: {describe(exc)}") from None


def _at_head(connection: Connection) -> bool:
    """True when the SQLite database is already at the newest migration (a WAL read:
    it takes no lock, so it never waits on a writer)."""
    try:
        found = _raw(connection).execute("SELECT version_num FROM alembic_version").fetchall()
    except sqlite3.OperationalError:  # no such table: an empty database
        return False
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    return [version for (version,) in found] == [head]


def _raw(connection: Connection) -> Any:
    """The driver's own connection: a PRAGMA on it opens no SQLAlchemy transaction."""
    return connection.connection.dbapi_connection


def describe(exc: SQLAlchemyError) -> str:
    """A one-line description of a database error, without SQL parameters (nor
    PostgreSQL's DETAIL line, which repeats the row's values)."""
    orig = getattr(exc, "orig", None)
    detail = (str(orig) if orig is not None else str(exc)).split("\n", 1)[0]
    return f"{type(exc).__name__}: {detail}"


class StoreBase:
    """Engine ownership and the transaction helpers the store's parts share."""

    def __init__(self, engine: Engine, masked_url: str) -> None:
        self._engine = engine
        self.url = masked_url  # masked: safe to log
        # An in-memory SQLite database is one shared connection: transactions from
        # several threads must not interleave on it. Files use a pool instead.
        shared = isinstance(engine.pool, StaticPool)
        self._serial: AbstractContextManager[object] = threading.Lock() if shared else nullcontext()

    def close(self) -> None:
        """Close every pooled connection. The store is unusable afterwards."""
        self._engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def sqlite_pragmas(self) -> dict[str, str]:
        """Return the connection settings ghostwatch relies on, as SQLite reports them
        (empty for other backends). For diagnostics and tests."""
        if self._engine.dialect.name != "sqlite":
            return {}
        names = ("journal_mode", "synchronous", "busy_timeout", "foreign_keys")
        with self._tx() as connection:
            return {
                name: str(connection.exec_driver_sql(f"PRAGMA {name}").scalar_one())
                for name in names
            }

    @contextmanager
    def _tx(self, *, write: bool = False) -> Iterator[Connection]:
        """One short transaction; commit on success. Database errors -> StoreError."""
        try:
            with self._serial, self._engine.connect() as connection:
                if write:
                    connection.execution_options(**{BEGIN_OPTION: "IMMEDIATE"})
                with connection.begin():
                    yield connection
        except SQLAlchemyError as exc:
            raise StoreError(f"database {self.url}: {describe(exc)}") from exc

    def _dialect_insert(self, table: sa.Table) -> Any:
        """The dialect's INSERT (with ``on_conflict_*``) for ``table``."""
        name = self._engine.dialect.name
        if name == "sqlite":
            return sqlite_insert(table)
        if name == "postgresql":
            return postgresql_insert(table)
        raise StoreError(f"database {self.url}: backend {name!r} is not supported")

    def _insert_ignore(self, table: sa.Table) -> sa.Insert:
        """INSERT that skips rows violating a unique constraint or index (any of them).

        Never judge by the result's ``rowcount`` (-1 on psycopg 3): add
        ``.returning(...)`` and count rows, as ``_insert_new`` does."""
        statement: sa.Insert = self._dialect_insert(table).on_conflict_do_nothing()
        return statement

    def _insert_new(self, connection: Connection, table: sa.Table, values: dict[str, Any]) -> bool:
        """Insert one row unless it violates a unique key; return True if it was inserted.

        One statement, ``ON CONFLICT DO NOTHING RETURNING``: the answer comes from the
        rows returned, so it is exact on every driver and under concurrency."""
        first = next(iter(table.primary_key.columns))
        statement = self._insert_ignore(table).values(**values).returning(first)
        return connection.execute(statement).first() is not None

    def _upsert(
        self,
        connection: Connection,
        table: sa.Table,
        key: dict[str, Any],
        values: dict[str, Any],
        *,
        defaults: dict[str, Any] | None = None,
    ) -> None:
        """Set the row with primary key ``key`` to ``values``, inserting it if missing;
        ``defaults`` fill a new row only and never overwrite an existing one.

        One ``INSERT ... ON CONFLICT (key) DO UPDATE`` statement: atomic on both
        dialects, so two processes upserting the same key both succeed (an
        update-then-insert raced into a duplicate-key error on PostgreSQL)."""
        initial = {k: v for k, v in (defaults or {}).items() if k not in values}
        statement = self._dialect_insert(table).values(**key, **initial, **values)
        if not values:
            connection.execute(statement.on_conflict_do_nothing(index_elements=list(key)))
            return
        update = {name: statement.excluded[name] for name in values}
        connection.execute(statement.on_conflict_do_update(index_elements=list(key), set_=update))
