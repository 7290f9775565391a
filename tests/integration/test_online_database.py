"""``check-config --online``'s database line against a real PostgreSQL on loopback:
reachable, and a database that does not exist (nothing is created either way)."""

from __future__ import annotations

import sqlalchemy as sa

from ghostwatch.app.online_check import check_database


def test_a_reachable_postgresql_database_is_one_ok_line(postgres_url: str) -> None:
    check = check_database(postgres_url)
    assert check.ok, check.line()
    assert check.line().startswith("database: postgresql+psycopg://")
    assert "connected (server " in check.detail
    engine = sa.create_engine(postgres_url)
    try:
        with engine.connect() as connection:  # nothing was migrated
            assert not sa.inspect(connection).get_table_names()
    finally:
        engine.dispose()


def test_a_missing_postgresql_database_fails_with_the_cause(postgres_url: str) -> None:
    missing = postgres_url.rpartition("/")[0] + "/gw_hconf_no_such_db"
    check = check_database(missing)
    assert not check.ok
    assert "gw_hconf_no_such_db" in check.line() and "does not exist" in check.line()
