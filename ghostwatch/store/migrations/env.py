"""Alembic environment, run programmatically by ``ghostwatch.store.database`` (no alembic.ini).

The caller opens a connection and passes it as ``config.attributes["connection"]``;
migrations run inside that connection's transaction, so a failed upgrade leaves
the database as it was (SQLite DDL is transactional).

SQLite cannot ALTER most things, so migrations use batch mode
(``render_as_batch``). Batch mode recreates a table, which drops its triggers:
a migration that batch-alters ``event`` must recreate the append-only triggers.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from ghostwatch.store.tables import metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if not isinstance(connection, Connection):
    raise RuntimeError(
        "ghostwatch migrations run through ghostwatch.store.database, with a connection"
    )
_run(connection)
