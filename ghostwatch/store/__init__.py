"""The database: tables, migrations and the ``Store`` that every query goes through."""
