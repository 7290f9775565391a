"""Alembic environment for the ghostwatch database, run in-process by ``store``."""
